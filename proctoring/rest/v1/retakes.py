"""Taking an exam again: the learner retakes a practice exam; course staff let an attempt
that failed resume, and its learner continues it with the time that was left."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.attempts import retakes
from proctoring.rest.permissions import IsCourseStaff, IsLearner, check_attempt_staff
from proctoring.rest.schema import errors
from proctoring.rest.v1.attempts import AttemptOutput, _attempt, render_attempt
from proctoring.rest.v1.common import JsonCharField, StrictSerializer, user_id_of


class AttemptRetakeApi(APIView):
    """The learner retakes a practice exam: its finished attempt is archived and the next
    one created (201, the new attempt)."""

    permission_classes = [IsLearner]

    @extend_schema(
        operation_id="attempt_retake",
        summary="Retake a practice exam",
        request=None,
        responses={201: AttemptOutput, **errors(404, 409)},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = retakes.attempt_retake_practice(
            attempt_id=attempt_id, actor_id=user_id_of(request)
        )
        return Response(render_attempt(attempt), status=status.HTTP_201_CREATED)


class AttemptResumableApi(APIView):
    """Course staff let an attempt that failed (error) after its start be resumed."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        reason = JsonCharField(max_length=1000, required=False, default="")

    @extend_schema(
        operation_id="attempt_mark_resumable",
        summary="Let an attempt that failed be resumed (course staff)",
        request=InputSerializer,
        responses={200: AttemptOutput, **errors(404, 409)},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        check_attempt_staff(request, _attempt(attempt_id))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt = retakes.attempt_mark_resumable(
            attempt_id=attempt_id,
            actor_id=user_id_of(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(render_attempt(attempt))


class AttemptContinueApi(APIView):
    """The learner continues an attempt staff marked resumable: the next attempt is created
    (201) with the time that was left, which its clock gets when it starts."""

    permission_classes = [IsLearner]

    @extend_schema(
        operation_id="attempt_continue",
        summary="Continue an attempt that failed, with the time it had left",
        request=None,
        responses={201: AttemptOutput, **errors(404, 409)},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = retakes.attempt_resume(attempt_id=attempt_id, actor_id=user_id_of(request))
        return Response(render_attempt(attempt), status=status.HTTP_201_CREATED)
