"""Access rules over REST (OpenAPI tag ``access``): exam windows, entry gates, and the hooks
the attempt views call before a learner starts.

Times are ISO 8601 in UTC; pages show them in the learner's own zone.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.access.gates import (
    AccessFacts,
    access_check_create,
    access_check_start,
    session_bind,
    session_guard,
)
from proctoring.access.models import ContentAfterSubmission, ExamRules, GateLog, RetakePolicy
from proctoring.access.questions import (
    content_access,
    course_summary,
    learner_accommodations,
    learner_settings,
)
from proctoring.access.registration import MAX_EXAMS, ExamSpec, course_exams_register
from proctoring.access.rules import (
    RULE_FIELDS,
    attempt_session_unlock,
    exam_release,
    exam_release_withdraw,
    exam_rules_of,
    exam_rules_set,
)
from proctoring.access.windows import (
    group_members_set_checked,
    window_set_for_group,
    window_set_for_learner,
)
from proctoring.accounts.selectors import user_get_by_username
from proctoring.allowances.levels import course_allowance_set, course_profile
from proctoring.attempts.actions import AttemptGuard
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import attempt_get_by_id
from proctoring.attempts.time_changes import MAX_ADDED_MINUTES, attempts_add_time_for_exam
from proctoring.courses.selectors import course_role_is_member
from proctoring.exams.selectors import exam_get, exam_get_in_course
from proctoring.exceptions import NotEnrolled, ProctoredExamNotFoundException
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import (
    NOT_STAFF_MESSAGE,
    IsCourseStaff,
    IsLearner,
    check_attempt_staff,
    is_course_staff,
    is_service_account,
)
from proctoring.rest.schema import errors
from proctoring.rest.v1.common import (
    JsonBooleanField,
    JsonCharField,
    JsonChoiceField,
    JsonIntegerField,
    PageQuery,
    StrictSerializer,
    user_id_of,
)

TAGS = ["access"]
SESSION_HEADER = "X-Exam-Session"


# The facts of a request, and the hooks of the attempt views.


def client_ip(request: Request) -> str | None:
    """The client's address: the connection's, or, behind ``PROCTORING_TRUSTED_PROXY_COUNT``
    proxies, the address the farthest trusted proxy saw (X-Forwarded-For, from the right)."""
    hops = int(getattr(settings, "PROCTORING_TRUSTED_PROXY_COUNT", 0))
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def request_facts(request: Request, access_code: str | None = None) -> AccessFacts:
    """What the gates need to know of the request."""
    session = getattr(request, "session", None)
    return AccessFacts(
        ip=client_ip(request),
        url=request.build_absolute_uri(),
        seb_config_key_hash=request.headers.get("X-SafeExamBrowser-ConfigKeyHash", ""),
        seb_request_hash=request.headers.get("X-SafeExamBrowser-RequestHash", ""),
        access_code=access_code,
        session_key=request.headers.get(SESSION_HEADER, "")
        or (getattr(session, "session_key", None) or ""),
    )


def gate_create(
    request: Request, *, exam_id: int, start: bool, access_code: str | None
) -> ExamRules | None:
    """Before a learner creates an attempt: the attempt limit, and every gate when the
    attempt starts at once. Returns the rules, for ``gate_created``."""
    exam = exam_get(exam_id=exam_id)
    user_id = user_id_of(request)
    if not course_role_is_member(user_id=user_id, course_id=exam.course_id):
        return None  # the creation refuses it (not enrolled): no gate to pass
    facts = request_facts(request, access_code)
    if not start:
        return access_check_create(exam=exam, user_id=user_id, facts=facts)
    return access_check_start(exam=exam, user_id=user_id, facts=facts, creating=True)


def gate_created(request: Request, *, rules: ExamRules | None, attempt: Attempt) -> None:
    """After a start with the creation: bind a one-session exam's attempt to the browser."""
    if rules is not None and rules.one_session and attempt.started_at is not None:
        session_bind(attempt=attempt, facts=request_facts(request))


def gate_action(
    request: Request, *, attempt_id: int, action: str, access_code: Any
) -> AttemptGuard:
    """Before a learner's action on its attempt: every gate for its first start; the guard
    of its browser session (one-session exams) for every action."""
    facts = request_facts(request, access_code if isinstance(access_code, str) else None)
    if action == "start":
        attempt = attempt_get_by_id(attempt_id=attempt_id)
        # Not found, not the caller's, or started already: the action answers, or resumes.
        if (
            attempt is not None
            and attempt.user_id == user_id_of(request)
            and attempt.started_at is None
            and attempt.archived_at is None
        ):
            access_check_start(
                exam=attempt.exam, user_id=attempt.user_id, facts=facts, attempt=attempt
            )
    return session_guard(facts=facts)


# Staff: an exam's rules.


class RulesOutput(serializers.Serializer[ExamRules]):
    exam_id = serializers.IntegerField()
    opens_at = serializers.DateTimeField(allow_null=True)
    has_access_code = serializers.SerializerMethodField()
    requires_release = serializers.BooleanField()
    allowed_ip_ranges = serializers.ListField(child=serializers.CharField())
    seb_config_key = serializers.CharField()
    seb_browser_exam_keys = serializers.ListField(child=serializers.CharField())
    has_seb_config_file = serializers.SerializerMethodField()
    max_attempts = serializers.IntegerField(allow_null=True)
    retake_policy = serializers.ChoiceField(choices=RetakePolicy.choices)
    one_session = serializers.BooleanField()
    content_after_submission = serializers.ChoiceField(choices=ContentAfterSubmission.choices)
    rules_text = serializers.CharField()
    contacts = serializers.ListField(child=serializers.JSONField())
    escalation_email = serializers.CharField()
    support_links = serializers.ListField(child=serializers.JSONField())

    def get_has_access_code(self, rules: ExamRules) -> bool:
        return bool(rules.access_code_hash)

    def get_has_seb_config_file(self, rules: ExamRules) -> bool:
        return bool(rules.seb_config_file)


class _Link(serializers.Serializer[Any]):
    title = JsonCharField(max_length=200)
    url = serializers.URLField(max_length=500)


class RulesInput(StrictSerializer):
    """Every field optional: what is sent changes; ``access_code: null`` removes the code."""

    opens_at = serializers.DateTimeField(allow_null=True, required=False)
    access_code = JsonCharField(allow_null=True, required=False, min_length=4, max_length=128)
    requires_release = JsonBooleanField(required=False)
    allowed_ip_ranges = serializers.ListField(
        child=JsonCharField(max_length=64), max_length=100, required=False
    )
    seb_config_key = JsonCharField(allow_blank=True, max_length=64, required=False)
    seb_browser_exam_keys = serializers.ListField(
        child=JsonCharField(max_length=64), max_length=20, required=False
    )
    seb_config_file = JsonCharField(allow_blank=True, max_length=200_000, required=False)
    max_attempts = JsonIntegerField(allow_null=True, min_value=1, max_value=1000, required=False)
    retake_policy = JsonChoiceField(choices=RetakePolicy.choices, required=False)
    one_session = JsonBooleanField(required=False)
    content_after_submission = JsonChoiceField(
        choices=ContentAfterSubmission.choices, required=False
    )
    rules_text = JsonCharField(allow_blank=True, max_length=20_000, required=False)
    contacts = serializers.ListField(
        child=JsonCharField(max_length=300), max_length=20, required=False
    )
    escalation_email = serializers.EmailField(allow_blank=True, required=False)
    support_links = serializers.ListField(child=_Link(), max_length=20, required=False)


def _rules_data(rules: ExamRules) -> dict[str, Any]:
    return dict(RulesOutput(rules).data)


class ExamRulesApi(APIView):
    """Course staff read and change an exam's access rules (every gate optional)."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="exam_access_rules_read", tags=TAGS, responses={200: RulesOutput, **errors()}
    )
    def get(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        return Response(_rules_data(exam_rules_of(exam)))

    @extend_schema(
        operation_id="exam_access_rules_update",
        tags=TAGS,
        request=RulesInput,
        responses={200: RulesOutput, **errors()},
    )
    def patch(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = RulesInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        clear = "access_code" in data and data["access_code"] is None
        code = data.pop("access_code", None)
        if "support_links" in data:
            data["support_links"] = [dict(link) for link in data["support_links"]]
        changes = {name: value for name, value in data.items() if name in RULE_FIELDS}
        rules = exam_rules_set(
            exam=exam, changes=changes, access_code=code, clear_access_code=clear
        )
        return Response(_rules_data(rules))


# Staff: windows, groups, releases, the gate log, sessions.


class WindowInput(StrictSerializer):
    """A window's ends (ISO 8601 with offset); null (or left out) for an end: the wider
    level's (the group's, then the exam's)."""

    opens_at = serializers.DateTimeField(allow_null=True, required=False, default=None)
    due_at = serializers.DateTimeField(allow_null=True, required=False, default=None)


WindowOutput = inline_serializer(
    name="Window",
    fields={
        "opens_at": serializers.DateTimeField(allow_null=True),
        "due_at": serializers.DateTimeField(allow_null=True),
    },
)


class LearnerWindowApi(APIView):
    """Course staff give a learner its own window on an exam (an allowance), or remove it."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="learner_window_set",
        tags=TAGS,
        request=WindowInput,
        responses={200: WindowOutput, **errors(409)},
    )
    def put(self, request: Request, course_id: str, exam_id: int, username: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        user = user_get_by_username(username=username)
        serializer = WindowInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        window_set_for_learner(
            exam=exam,
            exam_opens_at=exam_rules_of(exam).opens_at,
            user_id=cast(int, user.pk),
            actor_id=user_id_of(request),
            **serializer.validated_data,
        )
        return Response(serializer.data)

    @extend_schema(
        operation_id="learner_window_remove", tags=TAGS, responses={204: None, **errors(409)}
    )
    def delete(self, request: Request, course_id: str, exam_id: int, username: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        user = user_get_by_username(username=username)
        window_set_for_learner(
            exam=exam,
            exam_opens_at=None,
            user_id=cast(int, user.pk),
            opens_at=None,
            due_at=None,
            actor_id=user_id_of(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupWindowApi(APIView):
    """Course staff give a group of learners its window on an exam, or remove it."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="group_window_set",
        tags=TAGS,
        request=WindowInput,
        responses={200: WindowOutput, **errors(409)},
    )
    def put(self, request: Request, course_id: str, exam_id: int, group: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = WindowInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        window_set_for_group(
            exam=exam,
            exam_opens_at=exam_rules_of(exam).opens_at,
            group=group,
            actor_id=user_id_of(request),
            **serializer.validated_data,
        )
        return Response(serializer.data)

    @extend_schema(
        operation_id="group_window_remove", tags=TAGS, responses={204: None, **errors(409)}
    )
    def delete(self, request: Request, course_id: str, exam_id: int, group: str) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        window_set_for_group(
            exam=exam,
            exam_opens_at=None,
            group=group,
            opens_at=None,
            due_at=None,
            actor_id=user_id_of(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMembersApi(APIView):
    """Course staff set the members of a group of the course (a room, a cohort)."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        usernames = serializers.ListField(
            child=JsonCharField(max_length=150, min_length=1), max_length=5000
        )

    @extend_schema(
        operation_id="group_members_set",
        tags=TAGS,
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="GroupMembers",
                fields={
                    "group": serializers.CharField(),
                    "user_ids": serializers.ListField(child=serializers.IntegerField()),
                },
            ),
            **errors(409),
        },
    )
    def put(self, request: Request, course_id: str, group: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_ids = group_members_set_checked(
            course_id=course_id, group=group, usernames=serializer.validated_data["usernames"]
        )
        return Response({"group": group, "user_ids": user_ids})


class ReleaseInput(StrictSerializer):
    group = JsonCharField(max_length=100, allow_blank=True, required=False, default="")


class ExamReleaseApi(APIView):
    """Course staff's "start now": the exam's learners of a group ("" for all) may start it."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="exam_release",
        tags=TAGS,
        request=ReleaseInput,
        responses={
            200: inline_serializer(
                name="Release",
                fields={
                    "group": serializers.CharField(),
                    "released_at": serializers.DateTimeField(),
                },
            ),
            **errors(),
        },
    )
    def post(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = ReleaseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = exam_release(
            exam=exam, group=serializer.validated_data["group"], actor_id=user_id_of(request)
        )
        return Response({"group": release.group, "released_at": release.released_at})

    @extend_schema(
        operation_id="exam_release_withdraw",
        tags=TAGS,
        request=ReleaseInput,
        responses={204: None, **errors()},
    )
    def delete(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = ReleaseInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not exam_release_withdraw(exam=exam, group=serializer.validated_data["group"]):
            raise ProctoredExamNotFoundException("The exam was not released for this group.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class GateLogItem(serializers.Serializer[GateLog]):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    attempt_id = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField(help_text="passed, or the refusal's code.")
    gates = serializers.ListField(child=serializers.CharField())
    ip = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


class GateLogApi(APIView):
    """Course staff read every pass at an exam's gates, newest first."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        username = serializers.CharField(max_length=150, min_length=1, required=False)

    @extend_schema(
        operation_id="exam_gate_log",
        tags=TAGS,
        parameters=[FilterSerializer],
        responses={200: paginated("PaginatedGateLog", GateLogItem(many=True)), **errors()},
    )
    def get(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        logs = GateLog.objects.select_related("user").filter(exam=exam).order_by("-id")
        if "username" in filters.filters:
            logs = logs.filter(user__username=filters.filters["username"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(logs, request, view=self)
        return paginator.get_paginated_response(GateLogItem(cast(Any, page), many=True).data)


class SessionUnlockApi(APIView):
    """Course staff free a running attempt from its browser: another device may go on."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="attempt_session_unlock",
        tags=TAGS,
        request=None,
        responses={
            200: inline_serializer(name="Unlock", fields={"was_bound": serializers.BooleanField()}),
            **errors(),
        },
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = attempt_get_by_id(attempt_id=attempt_id)
        if attempt is None:
            raise ProctoredExamNotFoundException(f"There is no attempt with id {attempt_id}.")
        check_attempt_staff(request, attempt)
        bound = attempt_session_unlock(attempt_id=attempt_id, actor_id=user_id_of(request))
        return Response({"was_bound": bound})


# Learners: the Safe Exam Browser configuration.


class SebConfigApi(APIView):
    """A learner of the course downloads the exam's Safe Exam Browser configuration."""

    permission_classes = [IsLearner]

    @extend_schema(
        operation_id="exam_seb_config",
        tags=TAGS,
        responses={
            (200, "application/seb"): OpenApiResponse(description="The .seb file."),
            **errors(),
        },
    )
    def get(self, request: Request, exam_id: int) -> HttpResponse:
        exam = exam_get(exam_id=exam_id)
        if not course_role_is_member(user_id=user_id_of(request), course_id=exam.course_id):
            raise NotEnrolled()
        rules = exam_rules_of(exam)
        if not rules.seb_config_file:
            raise ProctoredExamNotFoundException("This exam has no Safe Exam Browser file.")
        response = HttpResponse(rules.seb_config_file, content_type="application/seb")
        response["Content-Disposition"] = f'attachment; filename="exam-{exam.pk}.seb"'
        return response


# The platform's questions (a learner's own, or any learner's for staff and platforms).


class LearnerQuery(serializers.Serializer[Any]):
    username = serializers.CharField(
        max_length=150,
        min_length=1,
        required=False,
        help_text="The learner asked about (staff and platforms); the caller when left out.",
    )


def learner_asked(request: Request, course_id: str) -> int:
    """The id of the learner a question is about: the caller, or the ``username`` of the query
    string, which only course staff and platforms may name."""
    query = LearnerQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    username = query.validated_data.get("username")
    if username is not None:
        user = user_get_by_username(username=username)
        if user.pk != request.user.pk and not is_course_staff(request, course_id):
            raise exceptions.PermissionDenied(NOT_STAFF_MESSAGE, code="not_course_staff")
        return cast(int, user.pk)
    if is_service_account(request):
        raise exceptions.ValidationError({"username": ["A platform names the learner."]})
    user_id = user_id_of(request)
    if not course_role_is_member(user_id=user_id, course_id=course_id):
        raise NotEnrolled()
    return user_id


ContentAccessOutput = inline_serializer(
    name="ContentAccess",
    fields={
        "visible": serializers.BooleanField(),
        "reason": serializers.ChoiceField(
            choices=["running", "past_due", "submitted", "submitted_hidden", "not_started"]
        ),
        "message": serializers.CharField(),
    },
)


class ContentAccessApi(APIView):
    """May the learner see the exam's content now? During a running attempt; never after
    the due date of an exam that hides its content then; after submission as the exam says."""

    @extend_schema(
        operation_id="exam_content_access",
        tags=TAGS,
        parameters=[LearnerQuery],
        responses={200: ContentAccessOutput, **errors()},
    )
    def get(self, request: Request, exam_id: int) -> Response:
        exam = exam_get(exam_id=exam_id)
        answer = content_access(exam=exam, user_id=learner_asked(request, exam.course_id))
        return Response(
            {"visible": answer.visible, "reason": answer.reason, "message": answer.message}
        )


class SummaryItem(serializers.Serializer[Any]):
    exam_id = serializers.IntegerField()
    content_id = serializers.CharField()
    exam_name = serializers.CharField()
    is_proctored = serializers.BooleanField()
    is_practice_exam = serializers.BooleanField()
    status = serializers.CharField(
        help_text="The status of the attempt that counts, or not_started."
    )
    attempt_id = serializers.IntegerField(allow_null=True)
    attempts_used = serializers.IntegerField()
    attempts_allowed = serializers.IntegerField(allow_null=True)
    opens_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateTimeField(allow_null=True)
    time_remaining_seconds = serializers.IntegerField(allow_null=True)
    next_step = serializers.ChoiceField(choices=["start", "wait", "continue", "closed", "none"])
    message = serializers.CharField()


class CourseSummaryApi(APIView):
    """Every active exam of the course for one learner: what an outline or progress page
    shows (status, time left, window, next step, a message). Two SQL statements, whatever
    the number of exams."""

    @extend_schema(
        operation_id="course_exam_summary",
        tags=TAGS,
        parameters=[LearnerQuery],
        responses={200: SummaryItem(many=True), **errors()},
    )
    def get(self, request: Request, course_id: str) -> Response:
        user_id = learner_asked(request, course_id)
        summary = course_summary(course_id=course_id, user_id=user_id)
        return Response(SummaryItem([asdict(item) for item in summary], many=True).data)


class _LinkOut(serializers.Serializer[Any]):
    title = serializers.CharField()
    url = serializers.CharField()


class SettingsOutput(serializers.Serializer[Any]):
    exam_id = serializers.IntegerField()
    exam_name = serializers.CharField()
    time_limit_mins = serializers.IntegerField(allow_null=True)
    is_proctored = serializers.BooleanField()
    opens_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateTimeField(allow_null=True)
    rules_text = serializers.CharField()
    contacts = serializers.ListField(child=serializers.CharField())
    escalation_email = serializers.CharField()
    support_links = _LinkOut(many=True)
    requires_access_code = serializers.BooleanField()
    requires_release = serializers.BooleanField()
    requires_safe_exam_browser = serializers.BooleanField()
    has_seb_config_file = serializers.BooleanField()
    ip_restricted = serializers.BooleanField()
    max_attempts = serializers.IntegerField(allow_null=True)
    retake_policy = serializers.ChoiceField(choices=RetakePolicy.choices)
    one_session = serializers.BooleanField()


class LearnerSettingsApi(APIView):
    """The exam's settings a learner reads before starting: rules, contacts, the proctoring
    escalation email, support links, the gates it has, the learner's own window."""

    @extend_schema(
        operation_id="exam_learner_settings",
        tags=TAGS,
        parameters=[LearnerQuery],
        responses={200: SettingsOutput, **errors()},
    )
    def get(self, request: Request, exam_id: int) -> Response:
        exam = exam_get(exam_id=exam_id)
        user_id = learner_asked(request, exam.course_id)
        return Response(SettingsOutput(learner_settings(exam=exam, user_id=user_id)).data)


AccommodationsOutput = inline_serializer(
    name="LearnerAccommodations",
    fields={
        "username": serializers.CharField(),
        "course_profile": serializers.DictField(child=serializers.CharField()),
        "groups": serializers.ListField(child=serializers.CharField()),
        "exams": serializers.ListField(child=serializers.DictField()),
    },
)


class LearnerAccommodationsApi(APIView):
    """Course staff see a learner's accommodations in one place: course profile, groups, and
    per exam its allowances, its group's window, the window that applies, its last gate pass."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="learner_accommodations",
        tags=TAGS,
        responses={200: AccommodationsOutput, **errors()},
    )
    def get(self, request: Request, course_id: str, username: str) -> Response:
        user = user_get_by_username(username=username)
        data = learner_accommodations(course_id=course_id, user_id=cast(int, user.pk))
        when = serializers.DateTimeField()
        for exam in data["exams"]:
            for name in ("opens_at", "due_date"):
                exam[name] = when.to_representation(exam[name]) if exam[name] else None
            if exam["last_gate_pass"]:
                exam["last_gate_pass"]["at"] = when.to_representation(exam["last_gate_pass"]["at"])
        return Response({"username": username, **data})


# Platforms and staff: registering a course's exams, course profiles, extending everyone.


class RegisteredExam(StrictSerializer):
    content_id = JsonCharField(max_length=255)
    exam_name = JsonCharField(max_length=10_000)
    time_limit_mins = JsonIntegerField(min_value=0, max_value=100_000, allow_null=True)
    due_date = serializers.DateTimeField(required=False, allow_null=True, default=None)
    is_proctored = JsonBooleanField(required=False, default=True)
    is_practice_exam = JsonBooleanField(required=False, default=False)
    hide_after_due = JsonBooleanField(required=False, default=False)
    backend = JsonCharField(max_length=100, required=False, allow_null=True, default=None)


RegistrationOutput = inline_serializer(
    name="ExamRegistration",
    fields={
        name: serializers.ListField(child=serializers.CharField(), help_text=text)
        for name, text in (
            ("created", "Content ids of the exams created."),
            ("updated", "Content ids of the exams changed (or active again)."),
            ("deactivated", "Content ids of the active exams no longer listed."),
            ("unchanged", "Content ids of the exams as they were."),
        )
    }
    | {"exam_ids": serializers.DictField(child=serializers.IntegerField())},
)


class ExamRegistrationApi(APIView):
    """A platform (or course staff) sends the course's current list of timed and proctored
    exams: new ones are created, changed ones updated, unlisted ones deactivated; the answer
    says which. Idempotent: the same list again changes nothing."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        exams = serializers.ListField(child=RegisteredExam(), max_length=MAX_EXAMS)

    @extend_schema(
        operation_id="course_exams_register",
        tags=TAGS,
        request=InputSerializer,
        responses={200: RegistrationOutput, **errors()},
    )
    def post(self, request: Request, course_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        specs = [ExamSpec(**item) for item in serializer.validated_data["exams"]]
        return Response(asdict(course_exams_register(course_id=course_id, specs=specs)))


class CourseProfileApi(APIView):
    """Course staff set a learner's accommodation profile in the course: applied to every exam
    of the course, present and future, where the learner has no allowance of its own."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        """Each key sent is set (a string, in the allowance's own form) or removed (null)."""

        additional_time_granted = JsonCharField(required=False, allow_null=True, max_length=10)
        time_multiplier = JsonCharField(required=False, allow_null=True, max_length=20)
        due_date_extension = JsonCharField(required=False, allow_null=True, max_length=64)

    @extend_schema(
        operation_id="course_profile_set",
        tags=TAGS,
        request=InputSerializer,
        responses={
            200: OpenApiResponse(
                response={"type": "object", "additionalProperties": {"type": "string"}},
                description="The learner's profile in the course, as {key: value}.",
            ),
            **errors(),
        },
    )
    def put(self, request: Request, course_id: str, username: str) -> Response:
        user = user_get_by_username(username=username)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            for key, value in serializer.validated_data.items():
                course_allowance_set(
                    course_id=course_id,
                    user_id=cast(int, user.pk),
                    key=key,
                    value=value,
                    actor_id=user_id_of(request),
                )
        return Response(course_profile(course_id=course_id, user_id=cast(int, user.pk)))


class ExamExtendApi(APIView):
    """Course staff add time to every running attempt of the exam at once (an incident), with
    a reason recorded on each attempt."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        minutes = JsonIntegerField(min_value=1, max_value=MAX_ADDED_MINUTES)
        reason = JsonCharField(max_length=500)

    @extend_schema(
        operation_id="exam_extend_running",
        tags=TAGS,
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="ExamExtended",
                fields={"attempt_ids": serializers.ListField(child=serializers.IntegerField())},
            ),
            **errors(409),
        },
    )
    def post(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempts = attempts_add_time_for_exam(
            exam_id=exam.pk, actor_id=user_id_of(request), **serializer.validated_data
        )
        return Response({"attempt_ids": [attempt.pk for attempt in attempts]})
