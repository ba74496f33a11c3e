"""Course staff's review work: the review queue of a course, and an attempt's timeline."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import CHOICES
from proctoring.attempts.timeline import (
    TimelineEntry,
    TimelineSource,
    timeline_merge,
    timeline_status_entries,
    timeline_time_entries,
)
from proctoring.providers.services import timeline_provider_entries
from proctoring.rest.pagination import PageNumberPagination, paginated
from proctoring.rest.permissions import IsCourseStaff, check_attempt_staff
from proctoring.rest.schema import errors
from proctoring.rest.v1.attempts import _attempt
from proctoring.rest.v1.common import PageQuery, QueryBooleanField
from proctoring.reviews.selectors import (
    QUEUE_STATUSES,
    review_queue_for_course,
    timeline_review_entries,
)

# The sources of an attempt's timeline, each one statement; at one moment, in this order (a
# review comes before the status change it makes, at the same moment).
TIMELINE_SOURCES: list[TimelineSource] = [
    timeline_review_entries,
    timeline_status_entries,
    timeline_time_entries,
    timeline_provider_entries,
]


class ReviewQueueItem(serializers.Serializer[Attempt]):
    id = serializers.IntegerField()
    exam_id = serializers.IntegerField()
    exam_name = serializers.CharField(source="exam.exam_name")
    content_id = serializers.CharField(source="exam.content_id")
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")
    attempt_number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CHOICES)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    flagged = serializers.BooleanField(
        source="has_flagged_review", help_text="A review of it came that could not apply."
    )
    latest_review = serializers.SerializerMethodField()

    def get_latest_review(self, attempt: Attempt) -> dict[str, Any] | None:
        loaded = cast(Any, attempt)
        if loaded.latest_review_id is None:
            return None
        return {
            "id": loaded.latest_review_id,
            "source": loaded.latest_review_source,
            "review_status": loaded.latest_review_status,
            "verdict": loaded.latest_review_verdict,
            "received_at": serializers.DateTimeField().to_representation(loaded.latest_review_at),
        }


class CourseReviewQueueApi(APIView):
    """Course staff's review queue: the proctored attempts awaiting a review or a second
    review, oldest submission first; with ``flagged=true``, the attempts with a flagged
    review instead."""

    permission_classes = [IsCourseStaff]

    class FilterSerializer(PageQuery):
        exam_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
        status = serializers.ChoiceField(
            choices=CHOICES,
            required=False,
            help_text=f"One status; the queue holds {', '.join(QUEUE_STATUSES)}.",
        )
        flagged = QueryBooleanField(
            required=False,
            default=False,
            help_text="List the attempts with a flagged review (whatever their status).",
        )

    @extend_schema(
        operation_id="course_review_queue",
        parameters=[FilterSerializer],
        responses={
            200: paginated("PaginatedReviewQueue", ReviewQueueItem(many=True)),
            **errors(404),
        },
    )
    def get(self, request: Request, course_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        attempts = review_queue_for_course(course_id=course_id, **filters.filters)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(attempts, request, view=self)
        return paginator.get_paginated_response(ReviewQueueItem(cast(Any, page), many=True).data)


TimelineEntryOutput = inline_serializer(
    name="TimelineEntry",
    fields={
        "at": serializers.DateTimeField(),
        "source": serializers.CharField(help_text="status, time, review or provider"),
        "kind": serializers.CharField(
            help_text="The status reached, the clock change, or the review's verdict."
        ),
        "actor_id": serializers.IntegerField(allow_null=True),
        "actor": serializers.CharField(
            help_text="The actor's username, or the provider's reviewer."
        ),
        "cause": serializers.CharField(),
        "reason": serializers.CharField(),
        "data": serializers.DictField(help_text="The entry's details, by source."),
    },
)


def _entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "source": entry.source,
        "kind": entry.kind,
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "cause": entry.cause,
        "reason": entry.reason,
        "data": entry.data,
    }


class AttemptTimelineApi(APIView):
    """An attempt's whole story in one call, oldest first: its status changes (with actor,
    cause and reason), its clock's changes and its reviews."""

    permission_classes = [IsCourseStaff]

    @extend_schema(
        operation_id="attempt_timeline",
        responses={200: serializers.ListSerializer(child=TimelineEntryOutput), **errors(404)},
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        check_attempt_staff(request, _attempt(attempt_id))
        entries = timeline_merge(source(attempt_id) for source in TIMELINE_SOURCES)
        return Response([_entry_json(entry) for entry in entries])
