"""Recording reviews: a provider's (``review_record``) and course staff's (``review_by_staff``).

Each locks its attempt once, keeps the review as it arrived, and moves the attempt through the
one transition (proctoring/attempts/transition.py), whose events tell the platforms; a review
that cannot apply is kept flagged, with a ``review.attention_needed`` event for course staff.
A provider review is 5 statements: the lock (with what the latest review was), the review's
INSERT, and the transition's UPDATE, history and event INSERTs (one statement on PostgreSQL).
A staff review on PostgreSQL is 2: its lock reads the record's id from its sequence, so the
record's INSERT goes in the transition's statement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.expressions import RawSQL

from proctoring.attempts.actions import attempt_lock_current
from proctoring.attempts.locks import attempt_lock, attempt_lock_by_external_id
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.transition import Move, attempt_event_without_change, attempts_transition
from proctoring.core.clock import now
from proctoring.core.events import REVIEW_ATTENTION_NEEDED
from proctoring.core.inserts import inserted, row_insert, row_insert_statement, rows_insert
from proctoring.courses.provider_settings import course_provider_settings
from proctoring.exams.selectors import exam_provider_name
from proctoring.exceptions import (
    ReviewProviderMismatch,
    SelfReview,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.reviews.models import Review, ReviewPolicy
from proctoring.reviews.rules import Decision, provider_review_decision, staff_review_decision
from proctoring.reviews.types import ReviewReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReviewOutcome:
    """What recording a review did: its record, the attempt's status after it, whether it
    applied or was flagged for staff, and whether it was a replay of the latest review."""

    review_id: int
    attempt_id: int
    status: str
    applied: bool
    flagged: bool
    duplicate: bool = False
    attempt: Attempt | None = field(default=None, compare=False, repr=False)  # as it is now


def _latest_provider_review(field: str) -> Subquery:
    latest = Review.objects.filter(attempt_id=OuterRef("pk"), source=Review.Source.PROVIDER)
    return Subquery(latest.order_by("-id").values(field)[:1])


def _policy(field: str) -> Subquery:
    return Subquery(ReviewPolicy.objects.filter(exam_id=OuterRef("exam_id")).values(field)[:1])


# Loaded with the locked attempt, in the same statement.
_ANNOTATIONS = {
    "latest_review_id": _latest_provider_review("id"),
    "latest_review_raw": _latest_provider_review("raw"),
    "policy_on_violation": _policy("on_violation"),
    "policy_on_suspicious": _policy("on_suspicious"),
}


# A staff review's record takes its id from its sequence in the lock's statement (PostgreSQL):
# the record's INSERT then goes with the change's writes, in their one statement.
NEXT_REVIEW_ID = "next_review_id"
_NEXT_ID = {
    NEXT_REVIEW_ID: RawSQL(
        "nextval(pg_get_serial_sequence(%s, %s))",
        (Review._meta.db_table, "id"),
        output_field=BigIntegerField(),
    )
}


def _same_payload(stored: Any, raw: dict[str, Any]) -> bool:
    if isinstance(stored, str):  # a JSON column read through a sub-select may stay text
        stored = json.loads(stored)
    return bool(stored == raw)


def review_record(
    *, report: ReviewReport, external_id: str | None = None, attempt_id: int | None = None
) -> ReviewOutcome:
    """Record a provider's review of the attempt it names by ``external_id`` (or, from our own
    code, by ``attempt_id``) and apply it (rules.py).

    ``StudentExamAttemptDoesNotExistsException`` when there is no such attempt;
    ``ReviewProviderMismatch`` when another provider proctors it. The same payload sent again
    is a replay: the first review's outcome is answered, nothing is written.
    """
    with transaction.atomic():
        attempt = _lock_for_review(external_id=external_id, attempt_id=attempt_id)
        provider = exam_provider_name(attempt.exam)
        if report.provider != provider:
            raise ReviewProviderMismatch(
                f"Attempt {external_id or attempt_id} is proctored by {provider!r}, "
                f"not {report.provider!r}."
            )
        loaded = {name: getattr(attempt, name) for name in _ANNOTATIONS}
        latest_id = loaded["latest_review_id"]
        if latest_id is not None and _same_payload(loaded["latest_review_raw"], report.raw):
            return ReviewOutcome(latest_id, attempt.pk, attempt.status, False, False, True)
        decision = provider_review_decision(
            status=report.status,
            second_review=report.second_review,
            attempt_status=attempt.status,
            archived=attempt.archived_at is not None,
            on_violation=loaded["policy_on_violation"] or AttemptStatus.REJECTED,
            on_suspicious=loaded["policy_on_suspicious"] or AttemptStatus.REJECTED,
            require_second_reviews=bool(
                course_provider_settings(attempt.exam.course).get(
                    "REQUIRE_FAILURE_SECOND_REVIEWS", False
                )
            ),
        )
        review = _review_row(attempt, decision, report)
        info = {
            "source": Review.Source.PROVIDER.value,
            "provider": provider,
            "review_id": review.pk,
            "provider_review_status": report.status.value,
        }
        _apply(attempt, review, decision, info, cause=f"provider:{provider}:review")
    log.info(
        "Review %s of attempt %s by %s: %s -> %s%s",
        review.pk,
        attempt.pk,
        provider,
        report.status,
        attempt.status,
        " (flagged)" if review.flagged else "",
    )
    return ReviewOutcome(review.pk, attempt.pk, attempt.status, review.applied, review.flagged)


def _lock_for_review(*, external_id: str | None, attempt_id: int | None) -> Attempt:
    if external_id is not None:
        attempt = attempt_lock_by_external_id(external_id=external_id, annotations=_ANNOTATIONS)
    else:
        attempt = attempt_lock(attempt_id=attempt_id, annotations=_ANNOTATIONS)
    if attempt is None:
        raise StudentExamAttemptDoesNotExistsException(
            f"There is no attempt with the provider's id {external_id!r}."
            if external_id is not None
            else f"There is no attempt with id {attempt_id}."
        )
    return attempt


def _review_row(attempt: Attempt, decision: Decision, report: ReviewReport) -> Review:
    return Review.objects.create(
        attempt=attempt,
        source=Review.Source.PROVIDER,
        provider=report.provider,
        review_status=report.status.value,
        status_before=attempt.status,
        verdict=decision.verdict or "",
        applied=decision.verdict is not None and decision.verdict != attempt.status,
        flagged=decision.flagged,
        reviewer=report.reviewer[:254],
        reason=decision.why,
        comments=[comment.as_dict() for comment in report.comments],
        video_url=report.video_url,
        raw=report.raw,
        received_at=now(),
    )


def _apply(
    attempt: Attempt,
    review: Review,
    decision: Decision,
    info: dict[str, Any],
    *,
    cause: str,
    first: Sequence[tuple[str, list[Any]]] = (),
) -> bool:
    """Move the attempt to the review's verdict, or flag the review for staff; whether the
    ``first`` statements (the review's record) went with the move's writes."""
    if decision.verdict is not None:
        move = Move(
            decision.verdict,
            actor_id=review.reviewer_user_id,
            cause=cause,
            cascade=True,
            review=True,
            review_info=info,
        )
        attempts_transition(attempts=[attempt], move=move, moment=review.received_at, first=first)
        return True
    if decision.flagged:
        data = {
            "review_status": attempt.status,
            "reviewer_id": review.reviewer_user_id,
            **info,
            "flagged": True,
            "reason": decision.why,
        }
        attempt_event_without_change(
            attempt=attempt,
            event_type=REVIEW_ATTENTION_NEEDED,
            data=data,
            moment=review.received_at,
        )
    return False


def review_by_staff(
    *,
    attempt_id: int,
    verdict: str,
    actor_id: int | None,
    reason: str = "",
    authorize: Callable[[Attempt], None] | None = None,
) -> ReviewOutcome:
    """Course staff review an attempt: verify, reject or ask for a second review; changing a
    verdict already given (an override) needs a ``reason``. Nobody reviews their own attempt.
    ``authorize`` may refuse the locked attempt (by raising) before anything changes."""
    keyed = connection.vendor == "postgresql"  # the record's id read by the lock
    with transaction.atomic():
        attempt = attempt_lock_current(
            attempt_id=attempt_id, authorize=authorize, annotations=_NEXT_ID if keyed else None
        )
        if actor_id is not None and attempt.user_id == actor_id:
            raise SelfReview(f"Attempt {attempt_id} is your own: another staff member reviews it.")
        decision = staff_review_decision(
            verdict=verdict, attempt_status=attempt.status, reason=reason
        )
        review = Review(
            attempt=attempt,
            source=Review.Source.STAFF,
            status_before=attempt.status,
            verdict=decision.verdict or "",
            applied=decision.verdict != attempt.status,
            reviewer_user_id=actor_id,
            reason=reason,
            received_at=now(),
        )
        record: list[tuple[str, list[Any]]] = []
        if keyed:
            review.pk = getattr(attempt, NEXT_REVIEW_ID)
            statement = row_insert_statement(review)
            record = [statement] if statement is not None else []
        if not record:
            row_insert(review)  # its INSERT compiled once (core/inserts.py)
        info = {"source": "staff" if actor_id is not None else "system", "review_id": review.pk}
        if reason:
            info["reason"] = reason
        cause = "staff:override" if decision.why == "override" else "staff:review"
        if not _apply(attempt, review, decision, info, cause=cause, first=record):
            rows_insert([], first=record)  # the record alone: nothing else to write
        if record:
            inserted(review)
    return ReviewOutcome(
        review.pk, attempt.pk, attempt.status, review.applied, False, attempt=attempt
    )
