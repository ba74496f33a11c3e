"""Access rules over REST, the platform's side (OpenAPI tag ``access``): its questions (may
the learner see the content, the course summary, the learner-facing settings, a learner's
accommodations for staff), registering a course's exams in one call, course-wide accommodation
profiles, and time added to every running attempt of an exam."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.access.models import RetakePolicy
from proctoring.access.questions import (
    content_access,
    course_summary,
    learner_accommodations,
    learner_settings,
)
from proctoring.access.registration import MAX_EXAMS, ExamSpec, course_exams_register
from proctoring.accounts.selectors import user_get_by_username
from proctoring.allowances.levels import course_allowance_set, course_profile
from proctoring.allowances.models import Allowance
from proctoring.attempts.time_changes import MAX_ADDED_MINUTES, attempts_add_time_for_exam
from proctoring.courses.selectors import course_role_is_member
from proctoring.exams.selectors import exam_get, exam_get_in_course
from proctoring.exceptions import NotEnrolled
from proctoring.rest.permissions import (
    NOT_STAFF_MESSAGE,
    IsCourseStaff,
    is_course_staff,
    is_service_account,
)
from proctoring.rest.schema import errors
from proctoring.rest.v1.access import TAGS
from proctoring.rest.v1.allowance_values import value_field
from proctoring.rest.v1.common import (
    JsonBooleanField,
    JsonCharField,
    JsonIntegerField,
    StrictSerializer,
    user_id_of,
)

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
        examples=[
            OpenApiExample(
                "Two exams",
                request_only=True,
                value={
                    "exams": [
                        {"content_id": "midterm", "exam_name": "Midterm", "time_limit_mins": 60},
                        {
                            "content_id": "final",
                            "exam_name": "Final",
                            "time_limit_mins": 120,
                            "due_date": "2030-07-01T15:00:00Z",
                        },
                    ]
                },
            ),
            OpenApiExample(
                "What changed",
                response_only=True,
                value={
                    "created": ["final"],
                    "updated": [],
                    "deactivated": ["quiz-1"],
                    "unchanged": ["midterm"],
                    "exam_ids": {"midterm": 12, "final": 13},
                },
            ),
        ],
        responses={200: RegistrationOutput, **errors(409)},
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

        additional_time_granted = value_field(
            Allowance.Key.ADDITIONAL_TIME, required=False, allow_null=True
        )
        time_multiplier = value_field(
            Allowance.Key.TIME_MULTIPLIER, required=False, allow_null=True
        )
        due_date_extension = value_field(
            Allowance.Key.DUE_DATE_EXTENSION, required=False, allow_null=True
        )

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
