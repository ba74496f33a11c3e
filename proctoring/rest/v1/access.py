"""Access rules over REST (OpenAPI tag ``access``): the hooks the attempt views call before a
learner starts or acts (the exam's gates, with the request's facts), an exam's rules for course
staff, and the Safe Exam Browser file for learners.

The other endpoints of the tag: ``access_windows`` (windows, groups, releases, the gate log,
browser sessions) and ``access_questions`` (the platform's questions, registering a course's
exams, course profiles, extending everyone). Times are ISO 8601 in UTC; pages show them in the
learner's own zone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.access.gates import (
    AccessFacts,
    access_check_create,
    access_check_start,
    session_bind,
    session_guard,
    start_guard,
)
from proctoring.access.models import ContentAfterSubmission, ExamRules, RetakePolicy
from proctoring.access.rules import (
    EMAIL_PATTERN,
    RULE_FIELDS,
    exam_rules_of,
    exam_rules_set,
)
from proctoring.attempts.actions import AttemptGuard
from proctoring.attempts.models import Attempt
from proctoring.courses.selectors import course_role_is_member
from proctoring.exams.selectors import exam_get, exam_get_in_course
from proctoring.exceptions import NotEnrolled, ProctoredExamNotFoundException
from proctoring.rest.permissions import (
    IsCourseStaff,
    IsLearner,
)
from proctoring.rest.schema import errors
from proctoring.rest.v1.common import (
    JsonBooleanField,
    JsonCharField,
    JsonChoiceField,
    JsonIntegerField,
    StrictSerializer,
    user_id_of,
)

TAGS = ["access"]
SESSION_HEADER = "X-Exam-Session"


# The facts of a request, and the hooks of the attempt views.


def client_ip(request: Request | HttpRequest) -> str | None:
    """The client's address: the connection's, or, behind ``PROCTORING_TRUSTED_PROXY_COUNT``
    proxies, the address the farthest trusted proxy saw (X-Forwarded-For, from the right)."""
    hops = int(getattr(settings, "PROCTORING_TRUSTED_PROXY_COUNT", 0))
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def request_facts(request: Request | HttpRequest, access_code: str | None = None) -> AccessFacts:
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
    request: Request | HttpRequest, *, attempt_id: int, action: str, access_code: Any
) -> AttemptGuard:
    """Before a learner's action on its attempt: the guard the action checks on the locked
    attempt, every gate for its first start (``start_guard``: no read of its own), the
    browser session (one-session exams) for every action. Not found, not the caller's,
    archived: the action answers first, the gates are not asked."""
    facts = request_facts(request, access_code if isinstance(access_code, str) else None)
    if action == "start":
        return start_guard(facts=facts)
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


HEX_KEY = r"^[0-9a-fA-F]{64}\Z"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}(?:/(?:3[0-2]|[12]?[0-9]))?"
_H = "[0-9a-fA-F]{1,4}"
_IPV6 = (
    f"(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,7}}:|(?:{_H}:){{1,6}}:{_H}"
    f"|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}"
    f"|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    f"|{_H}:(?::{_H}){{1,6}}|:(?:(?::{_H}){{1,7}}|:))"
    "(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?"
)
# The networks the rules take, as their schema says: IPv4 or IPv6, with or without a prefix.
NETWORK = rf"^(?:{_IPV4}|{_IPV6})\Z"


class _Link(serializers.Serializer[Any]):
    title = JsonCharField(max_length=200)
    url = JsonCharField(
        max_length=500, validators=[RegexValidator(r"^https?://[!-~]+\Z", "An http(s) URL.")]
    )


class RulesInput(StrictSerializer):
    """Every field optional: what is sent changes; ``access_code: null`` removes the code."""

    opens_at = serializers.DateTimeField(allow_null=True, required=False)
    access_code = JsonCharField(
        allow_null=True, required=False, min_length=4, max_length=128, trim_whitespace=False
    )
    requires_release = JsonBooleanField(required=False)
    allowed_ip_ranges = serializers.ListField(
        child=JsonCharField(
            max_length=64, validators=[RegexValidator(NETWORK, "An IPv4 or IPv6 network.")]
        ),
        max_length=100,
        required=False,
    )
    seb_config_key = JsonCharField(
        allow_blank=True,
        max_length=64,
        required=False,
        validators=[RegexValidator(HEX_KEY, "64 hexadecimal digits.")],
    )
    seb_browser_exam_keys = serializers.ListField(
        child=JsonCharField(
            max_length=64, validators=[RegexValidator(HEX_KEY, "64 hexadecimal digits.")]
        ),
        max_length=20,
        required=False,
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
    escalation_email = JsonCharField(
        allow_blank=True,
        max_length=254,
        required=False,
        validators=[RegexValidator(EMAIL_PATTERN, "An email address.")],
    )
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
        examples=[
            OpenApiExample(
                "A room exam",
                request_only=True,
                value={
                    "opens_at": "2030-06-01T09:00:00+02:00",
                    "access_code": "blue-falcon-42",
                    "requires_release": True,
                    "allowed_ip_ranges": ["192.0.2.0/24"],
                    "max_attempts": 2,
                    "retake_policy": "highest",
                    "escalation_email": "proctoring@example.org",
                },
            )
        ],
        responses={200: RulesOutput, **errors(409)},
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
