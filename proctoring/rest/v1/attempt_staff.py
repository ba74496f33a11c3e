"""Staff in control of one attempt: course staff end a running attempt now; an administrator
(global staff, a platform's service account) sets any status. Both need a reason, kept in the
attempt's history."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.attempts import staff_control
from proctoring.attempts.statuses import CHOICES
from proctoring.rest.permissions import IsCourseStaff, IsGlobalStaff, check_attempt_staff
from proctoring.rest.schema import errors
from proctoring.rest.v1.attempts import AttemptOutput, _attempt, render_attempt
from proctoring.rest.v1.common import JsonCharField, JsonChoiceField, StrictSerializer, user_id_of


def _reason_field() -> JsonCharField:
    return JsonCharField(
        max_length=staff_control.MAX_REASON_LENGTH,
        help_text="Why (required, not blank): kept in the attempt's history.",
    )


class AttemptEndApi(APIView):
    """Course staff end a running attempt now: it is submitted, with their reason."""

    permission_classes = [IsCourseStaff]

    class InputSerializer(StrictSerializer):
        reason = _reason_field()

    @extend_schema(
        operation_id="attempt_end",
        summary="End a running attempt now (course staff)",
        request=InputSerializer,
        responses={200: AttemptOutput, **errors(404, 409)},
        examples=[OpenApiExample("End", value={"reason": "Fire alarm: exam room evacuated."})],
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        check_attempt_staff(request, _attempt(attempt_id))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt = staff_control.attempt_end_by_staff(
            attempt_id=attempt_id,
            actor_id=user_id_of(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(render_attempt(attempt))


class AttemptSetStatusApi(APIView):
    """An administrator sets an attempt's status, with a reason; an illegal move is a 409."""

    permission_classes = [IsGlobalStaff]

    class InputSerializer(StrictSerializer):
        status = JsonChoiceField(choices=CHOICES)
        reason = _reason_field()

    @extend_schema(
        operation_id="attempt_set_status",
        summary="Set an attempt's status (administrators)",
        request=InputSerializer,
        responses={200: AttemptOutput, **errors(404, 409)},
        examples=[
            OpenApiExample(
                "Set status",
                value={"status": "verified", "reason": "Verified by phone with the provider."},
            )
        ],
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        _attempt(attempt_id)  # 404 before the body's errors
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attempt = staff_control.attempt_set_status(
            attempt_id=attempt_id,
            to_status=serializer.validated_data["status"],
            actor_id=user_id_of(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(render_attempt(attempt))
