"""Attempts: the learner's own (create, act, poll), and course staff's (list, review, reset)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import ISO_8601, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from proctoring.attempts import actions, statuses, time_changes
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import (
    attempt_get_active_for_user,
    attempt_get_by_id,
    attempt_list_for_course,
)
from proctoring.attempts.statuses import CHOICES
from proctoring.attempts.timer import attempt_clock
from proctoring.core.clock import now
from proctoring.exceptions import StudentExamAttemptDoesNotExistsException
from proctoring.providers import services as provider_services
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import (
    IsCourseStaff,
    IsLearner,
    IsStaffOfLockedAttempt,
    check_attempt_reader,
    check_attempt_staff,
)
from proctoring.rest.schema import errors
from proctoring.rest.v1.access import gate_action, gate_create, gate_created
from proctoring.rest.v1.attempt_act_lean import attempt_act_lean
from proctoring.rest.v1.attempt_poll import attempt_poll_lean
from proctoring.rest.v1.common import (
    JsonBooleanField,
    JsonCharField,
    JsonChoiceField,
    JsonIntegerField,
    PageQuery,
    QueryBooleanField,
    StrictSerializer,
    user_id_of,
)
from proctoring.reviews.services import review_by_staff


class _AttemptFields(serializers.Serializer[Attempt]):
    """The stored fields of an attempt."""

    id = serializers.IntegerField()
    exam_id = serializers.IntegerField()
    course_id = serializers.CharField(source="exam.course_id")
    exam_name = serializers.CharField(source="exam.exam_name")
    user_id = serializers.IntegerField()
    attempt_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CHOICES)
    taking_as_proctored = serializers.BooleanField()
    is_sample_attempt = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    archived_at = serializers.DateTimeField(allow_null=True)
    ready_to_resume = serializers.BooleanField(
        help_text="Course staff let this failed attempt be continued (POST .../continue)."
    )


class AttemptOutput(_AttemptFields):
    """An attempt as its learner's page polls it: status and clock.

    Reading never changes the attempt: past the deadline it shows no time left and the status
    the expiry job will give (``status_at_deadline``) until the job has run.
    """

    server_time = serializers.DateTimeField(help_text="The server's current time.")
    deadline_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the time runs out: fixed at start, moved by added time, pauses and "
        "allowance changes.",
    )
    time_remaining_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Seconds left before the deadline (frozen while paused); null before start.",
    )
    allowed_time_seconds = serializers.IntegerField(
        allow_null=True, help_text="The learner's own allowed time, allowances included."
    )
    allowed_time_limit_mins = serializers.FloatField(
        allow_null=True, help_text="The same, in minutes."
    )
    paused = serializers.BooleanField(help_text="Whether course staff paused the clock.")
    low_threshold_seconds = serializers.IntegerField(
        allow_null=True, help_text="Warn when this little time is left (20% of the allowed time)."
    )
    critical_threshold_seconds = serializers.IntegerField(
        allow_null=True, help_text="Warn again when this little is left (5%)."
    )
    status_at_deadline = serializers.ChoiceField(
        choices=CHOICES,
        allow_null=True,
        help_text="The status a running attempt gets when its time runs out.",
    )


_WHEN = serializers.DateTimeField()


def _when(value: Any, zone: tzinfo) -> Any:
    """``_WHEN.to_representation(value)`` where ``zone`` is the current time zone: an aware
    time in ISO 8601 in that zone, ``Z`` for UTC. The poll renders three a request and
    DRF looks the current zone up for each (a context-local read, the costly part); a test
    holds the two equal. Another format, or a naive time, goes through DRF."""
    if not value:
        return None
    if value.tzinfo is None or api_settings.DATETIME_FORMAT != ISO_8601:
        return _WHEN.to_representation(value)
    text: str = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def attempt_fields(attempt: Attempt, zone: tzinfo | None = None) -> dict[str, Any]:
    """``_AttemptFields(attempt).data``, without building a serializer and its fields for
    every answer (the poll's hot path); a test holds the two equal. ``zone``: the current
    time zone, when the caller has it already."""
    exam = attempt.exam
    zone = zone or timezone.get_current_timezone()
    return {
        "id": int(attempt.pk),
        "exam_id": int(attempt.exam_id),
        "course_id": str(exam.course_id),
        "exam_name": str(exam.exam_name),
        "user_id": int(attempt.user_id),
        "attempt_number": int(attempt.attempt_number),
        "status": str(attempt.status),
        "taking_as_proctored": bool(attempt.taking_as_proctored),
        "is_sample_attempt": bool(attempt.is_sample_attempt),
        "started_at": _when(attempt.started_at, zone),
        "completed_at": _when(attempt.completed_at, zone),
        "archived_at": _when(attempt.archived_at, zone),
        "ready_to_resume": bool(attempt.ready_to_resume),
    }


def render_attempt(attempt: Attempt) -> dict[str, Any]:
    """The attempt and its clock, as ``AttemptOutput``."""
    clock = attempt_clock(attempt=attempt, now=now())
    zone = timezone.get_current_timezone()
    data = attempt_fields(attempt, zone)
    data.update(
        server_time=_when(clock.now, zone),
        deadline_at=_when(clock.deadline_at, zone),
        time_remaining_seconds=clock.remaining_seconds,
        allowed_time_seconds=clock.allowed_seconds,
        allowed_time_limit_mins=clock.allowed_minutes,
        paused=clock.paused,
        low_threshold_seconds=clock.low_threshold_seconds,
        critical_threshold_seconds=clock.critical_threshold_seconds,
        status_at_deadline=clock.status_at_deadline,
    )
    return data


def _attempt(attempt_id: int) -> Attempt:
    attempt = attempt_get_by_id(attempt_id=attempt_id)
    if attempt is None:
        raise StudentExamAttemptDoesNotExistsException(f"There is no attempt with id {attempt_id}.")
    return attempt


class AttemptCreateApi(APIView):
    """The learner creates its attempt on an exam, and may start its clock at once."""

    permission_classes = [IsLearner]

    class InputSerializer(StrictSerializer):
        exam_id = JsonIntegerField(min_value=1, max_value=2**63 - 1)
        taking_as_proctored = JsonBooleanField(required=False, default=False)
        start = JsonBooleanField(required=False, default=False)
        access_code = JsonCharField(
            max_length=128, required=False, help_text="The exam's access code, if it asks one."
        )

    @extend_schema(
        operation_id="attempt_create",
        request=InputSerializer,
        responses={201: AttemptOutput, **errors(404, 409, 429, 502)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        code = data.pop("access_code", None)
        # The exam's gates (access rules), with the request's facts, before anything is made.
        rules = gate_create(request, exam_id=data["exam_id"], start=data["start"], access_code=code)
        # Taken as proctored, the attempt is registered with the course's provider after its
        # creation commits: an outage answers 503 (502 for a refusal), the attempt created.
        attempt = provider_services.attempt_create_for_learner(user_id=user_id_of(request), **data)
        gate_created(request, rules=rules, attempt=attempt)
        return Response(render_attempt(attempt), status=status.HTTP_201_CREATED)


class AttemptActiveApi(APIView):
    """The caller's running attempt, if any: what a page needs to show a timer."""

    permission_classes = [IsLearner]

    @extend_schema(
        operation_id="attempt_active",
        responses={
            200: inline_serializer(
                name="ActiveAttempt",
                fields={
                    "attempt": AttemptOutput(allow_null=True),
                    "server_time": serializers.DateTimeField(),
                },
            ),
            **errors(),
        },
    )
    def get(self, request: Request) -> Response:
        attempt = attempt_get_active_for_user(user_id=user_id_of(request))
        return Response(
            {"attempt": render_attempt(attempt) if attempt else None, "server_time": now()}
        )


class AttemptDetailApi(APIView):
    """Poll an attempt: its learner, or staff of its course.

    A learner's poll with its JWT takes the lean path (``attempt_poll.py``): one statement,
    authentication included; every other request goes through DRF as usual.
    """

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        lean = attempt_poll_lean(request, kwargs["attempt_id"], render_attempt)
        return lean if lean is not None else super().dispatch(request, *args, **kwargs)

    @extend_schema(operation_id="attempt_read", responses={200: AttemptOutput, **errors(404)})
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = _attempt(attempt_id)
        check_attempt_reader(request, attempt)
        return Response(render_attempt(attempt))


class StartInput(StrictSerializer):
    """Optional: the exam's access code, when it asks one."""

    access_code = JsonCharField(max_length=128, required=False)


def _action_view(action: str, summary: str) -> type[APIView]:
    """One view per learner action on its own attempt."""
    codes = (404, 409, 429) if action == "start" else (404, 409)  # 429: wrong access codes

    class AttemptActionApi(APIView):
        """A learner's action on its own attempt. With its JWT, the action takes the lean
        path (``attempt_act_lean.py``: the caller's identity confirmed by the action's own
        lock); every other request goes through DRF as usual."""

        permission_classes = [IsLearner]

        def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            attempt_id = kwargs["attempt_id"]
            lean = attempt_act_lean(self, request, attempt_id, action, render_attempt)
            return lean if lean is not None else super().dispatch(request, *args, **kwargs)

        @extend_schema(
            operation_id=f"attempt_{action}",
            summary=summary,
            request=StartInput if action == "start" else None,
            responses={200: AttemptOutput, **errors(*codes)},
        )
        def post(self, request: Request, attempt_id: int) -> Response:
            # The exam's gates for a start, its browser session for the rest (access rules).
            code = None
            if action == "start" and request.data:
                start_input = StartInput(data=request.data)
                start_input.is_valid(raise_exception=True)
                code = start_input.validated_data.get("access_code")
            guard = gate_action(request, attempt_id=attempt_id, action=action, access_code=code)
            # The action reads and locks the attempt once, and checks that it is the caller's.
            attempt = actions.attempt_act(
                attempt_id=attempt_id, action=action, actor_id=user_id_of(request), guard=guard
            )
            return Response(render_attempt(attempt))

    AttemptActionApi.__name__ = f"Attempt{action.capitalize()}Api"
    AttemptActionApi.__qualname__ = AttemptActionApi.__name__
    return AttemptActionApi


AttemptStartApi = _action_view("start", "Start the clock")
AttemptStopApi = _action_view("stop", "Stop: the attempt is ready to submit")
AttemptSubmitApi = _action_view("submit", "Submit the attempt")
AttemptDeclineApi = _action_view("decline", "Decline to take the exam proctored")
AttemptErrorApi = _action_view("error", "Report an error (software or provider)")


class AttemptReviewApi(APIView):
    """Course staff give a completed attempt a verdict; changing a verdict already given (an
    override) needs a ``reason`` (400 ``review_reason_required`` without one).

    Whether the caller is staff of the attempt's course is checked on the attempt as the
    review locks it: no read of its own (``IsStaffOfLockedAttempt``).
    """

    permission_classes = [IsStaffOfLockedAttempt]

    class InputSerializer(StrictSerializer):
        status = JsonChoiceField(choices=sorted(str(s) for s in statuses.REVIEW_STATUSES))
        reason = JsonCharField(
            max_length=1000,
            required=False,
            default="",
            help_text="Why: kept with the review; needed to override a verdict.",
        )

    @extend_schema(
        operation_id="attempt_review",
        request=InputSerializer,
        responses={200: AttemptOutput, **errors(404, 409)},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        if not serializer.is_valid():
            # A refusal comes before a bad body, as for every staff-only endpoint.
            check_attempt_staff(request, _attempt(attempt_id))
            serializer.is_valid(raise_exception=True)
        outcome = review_by_staff(
            attempt_id=attempt_id,
            verdict=serializer.validated_data["status"],
            actor_id=user_id_of(request),
            reason=serializer.validated_data["reason"],
            authorize=lambda locked: check_attempt_staff(request, locked),
        )
        return Response(render_attempt(outcome.attempt or _attempt(attempt_id)))


class AttemptResetApi(APIView):
    """Course staff reset an attempt: it is archived with its history; the learner may retry."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="attempt_reset",
        request=None,
        responses={200: AttemptOutput, **errors(404, 409)},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        check_attempt_staff(request, _attempt(attempt_id))
        attempt = actions.attempt_reset(attempt_id=attempt_id, actor_id=user_id_of(request))
        return Response(render_attempt(attempt))


class AttemptAddTimeApi(APIView):
    """Course staff add minutes to a running attempt; its deadline moves by that much."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        minutes = JsonIntegerField(min_value=1, max_value=time_changes.MAX_ADDED_MINUTES)
        reason = JsonCharField(max_length=500, required=False, default="")

    @extend_schema(
        operation_id="attempt_add_time",
        request=InputSerializer,
        responses={200: AttemptOutput, **errors(404, 409)},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        check_attempt_staff(request, _attempt(attempt_id))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        time_changes.attempt_add_time(
            attempt_id=attempt_id, actor_id=user_id_of(request), **serializer.validated_data
        )
        return Response(render_attempt(_attempt(attempt_id)))


class ClockChangeInput(StrictSerializer):
    reason = JsonCharField(max_length=500, required=False, default="")


def _clock_view(action: str, summary: str) -> type[APIView]:
    """Course staff pause or resume a running attempt's clock (a learner cannot)."""
    change = {"pause": time_changes.attempt_pause, "resume": time_changes.attempt_resume}[action]

    class AttemptClockApi(APIView):
        permission_classes = [IsCourseStaff]
        InputSerializer = ClockChangeInput

        @extend_schema(
            operation_id=f"attempt_{action}",
            summary=summary,
            request=ClockChangeInput,
            responses={200: AttemptOutput, **errors(404, 409)},
        )
        def post(self, request: Request, attempt_id: int) -> Response:
            check_attempt_staff(request, _attempt(attempt_id))
            serializer = self.InputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            change(
                attempt_id=attempt_id,
                actor_id=user_id_of(request),
                reason=serializer.validated_data["reason"],
            )
            return Response(render_attempt(_attempt(attempt_id)))

    AttemptClockApi.__name__ = f"Attempt{action.capitalize()}Api"
    AttemptClockApi.__qualname__ = AttemptClockApi.__name__
    return AttemptClockApi


AttemptPauseApi = _clock_view("pause", "Pause the clock (course staff)")
AttemptResumeApi = _clock_view("resume", "Resume the clock; the deadline moves by the pause")


class AttemptListItem(serializers.Serializer[Attempt]):
    id = serializers.IntegerField()
    exam_id = serializers.IntegerField()
    exam_name = serializers.CharField(source="exam.exam_name")
    content_id = serializers.CharField(source="exam.content_id")
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")
    attempt_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CHOICES)
    taking_as_proctored = serializers.BooleanField()
    is_sample_attempt = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    archived_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()


def attempt_list_item(attempt: Attempt, zone: tzinfo | None = None) -> dict[str, Any]:
    """``AttemptListItem(attempt).data`` without a serializer per row (a staff page has up to
    200); a test holds the two equal. ``zone``: the current time zone, when the caller has it."""
    exam, user = attempt.exam, attempt.user
    zone = zone or timezone.get_current_timezone()
    return {
        "id": int(attempt.pk),
        "exam_id": int(attempt.exam_id),
        "exam_name": str(exam.exam_name),
        "content_id": str(exam.content_id),
        "user_id": int(attempt.user_id),
        "username": str(user.username),
        "email": str(user.email),
        "attempt_number": int(attempt.attempt_number),
        "status": str(attempt.status),
        "taking_as_proctored": bool(attempt.taking_as_proctored),
        "is_sample_attempt": bool(attempt.is_sample_attempt),
        "started_at": _when(attempt.started_at, zone),
        "completed_at": _when(attempt.completed_at, zone),
        "archived_at": _when(attempt.archived_at, zone),
        "created": _when(attempt.created, zone),
        "modified": _when(attempt.modified, zone),
    }


class CourseAttemptListApi(APIView):
    """Course staff list the course's attempts, filtered and paginated."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        exam_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
        status = serializers.ChoiceField(choices=CHOICES, required=False)
        search = serializers.CharField(
            max_length=150,
            min_length=1,
            required=False,
            help_text="A case-insensitive prefix of the username or the email.",
        )
        include_archived = QueryBooleanField(required=False, default=False)

    @extend_schema(
        operation_id="course_attempt_list",
        parameters=[FilterSerializer],
        responses={
            200: paginated("PaginatedAttemptList", AttemptListItem(many=True)),
            **errors(404),
        },
    )
    def get(self, request: Request, course_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        attempts = attempt_list_for_course(course_id=course_id, **filters.filters)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(attempts, request, view=self)
        zone = timezone.get_current_timezone()
        rows = [attempt_list_item(row, zone) for row in page or []]
        return paginator.get_paginated_response(rows)
