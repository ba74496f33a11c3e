"""Course staff's list of the learners' onboarding statuses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.attempts.onboarding import (
    onboarding_learners_for_course,
    onboarding_statuses_resolve,
)
from proctoring.attempts.ports import OnboardingStatus
from proctoring.attempts.statuses import CHOICES
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import IsCourseStaff
from proctoring.rest.schema import errors
from proctoring.rest.v1.common import PageQuery

ONBOARDING_ITEM_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "user_id": serializers.IntegerField(),
    "username": serializers.CharField(),
    "email": serializers.CharField(),
    "onboarding_status": serializers.ChoiceField(
        choices=[status.value for status in OnboardingStatus]
    ),
    "source": serializers.ChoiceField(
        choices=["provider", "attempts"],
        help_text="Who told: the course's provider, or the learner's onboarding attempts.",
    ),
    "onboarding_attempt_id": serializers.IntegerField(allow_null=True),
    "onboarding_attempt_status": serializers.ChoiceField(choices=CHOICES, allow_null=True),
    "onboarding_attempt_modified": serializers.DateTimeField(allow_null=True),
}


class CourseOnboardingStatusListApi(APIView):
    """Course staff list their learners' onboarding statuses, by username, paginated."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="course_onboarding_status_list",
        parameters=[PageQuery],
        responses={
            200: paginated(
                "PaginatedOnboardingStatusList",
                inline_serializer(
                    name="OnboardingStatusItem", fields=ONBOARDING_ITEM_FIELDS, many=True
                ),
            ),
            **errors(404),
        },
    )
    def get(self, request: Request, course_id: str) -> Response:
        query = PageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            onboarding_learners_for_course(course_id=course_id), request, view=self
        )
        rows: list[Any] = list(page or [])  # annotated by onboarding_annotations
        statuses = onboarding_statuses_resolve(course_id=course_id, rows=rows)
        when = serializers.DateTimeField()
        results: list[dict[str, Any]] = [
            {
                "user_id": row.user_id,
                "username": row.user.username,
                "email": row.user.email,
                "onboarding_status": status.value,
                "source": source,
                "onboarding_attempt_id": row.onboarding_attempt_id,
                "onboarding_attempt_status": row.onboarding_attempt_status,
                "onboarding_attempt_modified": (
                    when.to_representation(row.onboarding_attempt_modified)
                    if row.onboarding_attempt_modified
                    else None
                ),
            }
            for row, (status, source) in zip(rows, statuses, strict=True)
        ]
        return paginator.get_paginated_response(results)
