"""What the learner's page and course staff get from the attempt's proctoring provider: its
instructions, software download link and JavaScript worker; the report of a missed ping; the
link to the provider's instructor dashboard."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.exams.selectors import exam_get_in_course
from proctoring.exceptions import AttemptNotOwned, ProviderNotFound
from proctoring.providers.base import DashboardUser
from proctoring.providers.services import (
    attempt_ping_missed,
    attempt_provider_info,
    obscured_user_id,
    provider_call,
    provider_of_exam,
)
from proctoring.rest.permissions import IsCourseStaff, IsLearner, check_attempt_reader
from proctoring.rest.schema import errors
from proctoring.rest.v1.attempts import _attempt
from proctoring.rest.v1.common import JsonCharField, StrictSerializer, user_id_of


class WorkerOutput(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="The vendor's JavaScript worker, run by the exam page.")
    ping_interval = serializers.IntegerField(help_text="The page pings it every so many seconds.")


class ProviderInfoOutput(serializers.Serializer[Any]):
    alias = serializers.CharField(help_text="The provider of the attempt's course.")
    proctored = serializers.BooleanField(help_text="Whether the provider proctors this attempt.")
    external_id = serializers.CharField(allow_null=True, help_text="The provider's attempt id.")
    instructions = serializers.ListField(child=serializers.CharField())
    download_url = serializers.CharField(
        help_text="The proctoring software's download link, with ``attempt={external_id}``."
    )
    worker = WorkerOutput(allow_null=True)
    setup_url = serializers.CharField(
        help_text="Where the learner continues to set proctoring up (a tool's launch, a consent "
        "page), or empty when the provider's software reports the learner ready."
    )


class AttemptProviderApi(APIView):
    """The attempt's provider, as its learner's page needs it (the learner or course staff)."""

    @extend_schema(
        operation_id="attempt_provider",
        responses={200: ProviderInfoOutput, **errors(404, 502)},
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = _attempt(attempt_id)
        check_attempt_reader(request, attempt)
        info = attempt_provider_info(attempt=attempt)
        worker = info.worker
        return Response(
            {
                "alias": info.alias,
                "proctored": info.proctored,
                "external_id": info.external_id,
                "instructions": list(info.instructions),
                "download_url": info.download_url,
                "setup_url": info.setup_url,
                "worker": {"url": worker.url, "ping_interval": worker.ping_interval}
                if worker
                else None,
            }
        )


class AttemptPingMissedApi(APIView):
    """The learner's page reports that the vendor's worker did not answer a ping in time: a
    provider event of the attempt, which its review sees."""

    permission_classes = [IsLearner]

    class InputSerializer(StrictSerializer):
        detail = JsonCharField(max_length=500, required=False, default="")

    @extend_schema(
        operation_id="attempt_ping_missed",
        request=InputSerializer,
        responses={
            201: inline_serializer(
                name="PingMissed", fields={"recorded": serializers.BooleanField()}
            ),
            **errors(404),
        },
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = _attempt(attempt_id)
        if attempt.user_id != user_id_of(request):
            raise AttemptNotOwned()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt_ping_missed(attempt=attempt, detail=serializer.validated_data["detail"])
        return Response({"recorded": True}, status=status.HTTP_201_CREATED)


class ExamProviderDashboardApi(APIView):
    """Course staff get a link to the provider's instructor dashboard for the exam (signed
    for them, valid for a minute)."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="exam_provider_dashboard",
        responses={
            200: inline_serializer(
                name="ProviderDashboard", fields={"url": serializers.URLField()}
            ),
            **errors(404, 502),
        },
    )
    def get(self, request: Request, course_id: str, exam_id: int) -> Response:
        exam = exam_get_in_course(course_id=course_id, exam_id=exam_id)
        provider = provider_of_exam(exam)
        user = request.user
        staff = DashboardUser(
            user_id=obscured_user_id(user_id=user_id_of(request), alias=provider.alias),
            full_name=getattr(user, "get_full_name", lambda: "")() or user.get_username(),
            email=getattr(user, "email", ""),
        )
        attempt_external_id = request.query_params.get("attempt") or None
        url = provider_call(
            provider,
            "instructor_dashboard",
            lambda: provider.instructor_dashboard_url(
                course_id=course_id,
                user=staff,
                exam_external_id=exam.external_id,
                attempt_external_id=attempt_external_id,
            ),
            exam_id=exam.pk,
        )
        if not url:
            raise ProviderNotFound(f"The provider {provider.alias!r} has no instructor dashboard.")
        return Response({"url": url})
