"""Reads of reviews: the staff review queue of a course, and an attempt's reviews as timeline
entries."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from proctoring.attempts.models import Attempt
from proctoring.attempts.timeline import TimelineEntry
from proctoring.reviews.models import Review
from proctoring.reviews.rules import AWAITING_REVIEW

QUEUE_STATUSES = tuple(sorted(str(status) for status in AWAITING_REVIEW))


def _latest_review(field: str) -> Subquery:
    latest = Review.objects.filter(attempt_id=OuterRef("pk")).order_by("-id")
    return Subquery(latest.values(field)[:1])


def review_queue_for_course(
    *,
    course_id: str,
    exam_id: int | None = None,
    status: str | None = None,
    flagged: bool = False,
) -> QuerySet[Attempt]:
    """The course's current proctored attempts awaiting a review (submitted) or a second
    review, oldest submission first, with exam, user, their latest review and whether a
    review of theirs was flagged, in one statement per page.

    ``flagged`` lists instead the attempts with a flagged review (one that came when it could
    not apply), whatever their status: staff must look at those too.
    """
    flagged_reviews = Review.objects.filter(attempt_id=OuterRef("pk"), flagged=True)
    attempts = (
        Attempt.objects.select_related("exam", "user")
        .filter(exam__course_id=course_id, archived_at__isnull=True, taking_as_proctored=True)
        .annotate(
            has_flagged_review=Exists(flagged_reviews),
            latest_review_id=_latest_review("id"),
            latest_review_source=_latest_review("source"),
            latest_review_status=_latest_review("review_status"),
            latest_review_verdict=_latest_review("verdict"),
            latest_review_at=_latest_review("received_at"),
        )
    )
    if flagged:
        attempts = attempts.filter(has_flagged_review=True)
    else:
        attempts = attempts.filter(status__in=QUEUE_STATUSES)
    if exam_id is not None:
        attempts = attempts.filter(exam_id=exam_id)
    if status:
        attempts = attempts.filter(status=status)
    return attempts.order_by("completed_at", "id")


def timeline_review_entries(attempt_id: int) -> list[TimelineEntry]:
    """The attempt's reviews, the provider's and staff's, as they arrived (one statement)."""
    rows = Review.objects.select_related("reviewer_user").filter(attempt_id=attempt_id)
    return [
        TimelineEntry(
            at=row.received_at,
            source="review",
            kind=row.verdict or row.review_status or "review",
            actor_id=row.reviewer_user_id,
            actor=row.reviewer_user.username if row.reviewer_user else row.reviewer,
            reason=row.reason,
            data={
                "review_id": row.pk,
                "source": row.source,
                "provider": row.provider,
                "review_status": row.review_status,
                "status_before": row.status_before,
                "verdict": row.verdict,
                "applied": row.applied,
                "flagged": row.flagged,
                "comments": row.comments,
                "video_url": row.video_url,
            },
            order=row.pk,
        )
        for row in rows.order_by("id")
    ]
