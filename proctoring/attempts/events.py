"""The events an attempt's changes tell the platforms (schemas in docs/events/).

Built inside the transaction of the change, from the locked attempt, and recorded through the
event port (proctoring/core/events.py) in one statement per change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from proctoring.attempts import statuses
from proctoring.attempts.models import Attempt
from proctoring.core.events import (
    ATTEMPT_RESET,
    ATTEMPT_STATUS_CHANGED,
    ATTEMPT_TIME_CHANGED,
    REVIEW_ATTENTION_NEEDED,
    REVIEW_RECORDED,
    DomainEvent,
)


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def attempt_event(
    event_type: str, attempt: Attempt, moment: datetime, data: dict[str, Any]
) -> DomainEvent:
    """An event about the attempt, numbered with its current sequence number."""
    return DomainEvent(
        type=event_type,
        occurred_at=moment,
        course_id=attempt.exam.course_id,
        attempt_id=attempt.pk,
        sequence=attempt.event_sequence,
        payload={**_attempt_fields(attempt), **data},
    )


def _attempt_fields(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt_id": attempt.pk,
        "attempt_number": attempt.attempt_number,
        "exam_id": attempt.exam_id,
        "course_id": attempt.exam.course_id,
        "content_id": attempt.exam.content_id,
        "user_id": attempt.user_id,
    }


def attempt_status_changed_event(
    *,
    attempt: Attempt,
    from_status: str,
    moment: datetime,
    actor_id: int | None,
    cause: str,
) -> DomainEvent:
    """The attempt, already moved (in memory) to its new status and sequence number."""
    to_status = attempt.status
    return attempt_event(
        ATTEMPT_STATUS_CHANGED,
        attempt,
        moment,
        {
            "from_status": from_status,
            "to_status": to_status,
            "taking_as_proctored": attempt.taking_as_proctored,
            "is_sample_attempt": attempt.is_sample_attempt,
            "started_at": _when(attempt.started_at),
            "completed_at": _when(attempt.completed_at),
            "deadline_at": _when(attempt.deadline_at),
            "credit_requirement_status": statuses.credit_requirement_status(to_status),
            # Rule 9: whether the learner is emailed about this change.
            "learner_email": bool(
                attempt.taking_as_proctored
                and not attempt.is_sample_attempt
                and statuses.needs_status_change_email(to_status)
            ),
            "actor_id": actor_id,
            "cause": cause,
        },
    )


def attempt_reset_event(*, attempt: Attempt, moment: datetime, actor_id: int | None) -> DomainEvent:
    """The attempt was archived: the platform may clear its answers, grade and completion."""
    return attempt_event(
        ATTEMPT_RESET,
        attempt,
        moment,
        {
            "status": attempt.status,
            "archived_at": _when(attempt.archived_at),
            "actor_id": actor_id,
        },
    )


def attempt_time_changed_event(
    *,
    attempt: Attempt,
    kind: str,
    seconds: int,
    deadline_before: datetime | None,
    moment: datetime,
    actor_id: int | None,
    reason: str,
) -> DomainEvent:
    """The running attempt's clock changed: time added, a pause, a resume, an allowance."""
    return attempt_event(
        ATTEMPT_TIME_CHANGED,
        attempt,
        moment,
        {
            "kind": kind,
            "seconds": seconds,
            "deadline_before": _when(deadline_before),
            "deadline_after": _when(attempt.deadline_at),
            "paused": attempt.paused_at is not None,
            "actor_id": actor_id,
            "reason": reason,
        },
    )


def review_event_types(verdict: str) -> tuple[str, ...]:
    """The review events a verdict makes besides its status change: the review itself, and a
    call for staff attention when it asks for a second review."""
    if verdict == statuses.AttemptStatus.SECOND_REVIEW_REQUIRED:
        return (REVIEW_RECORDED, REVIEW_ATTENTION_NEEDED)
    return (REVIEW_RECORDED,)


def review_events(
    *, attempt: Attempt, moment: datetime, actor_id: int | None, info: dict[str, Any] | None = None
) -> list[DomainEvent]:
    """The review events of a verdict just given (the attempt holds its new status and the
    sequence number of its status event: they follow it); ``info`` adds what the review
    record knows (its source, provider, id, the provider's own verdict)."""
    events = []
    for event_type in review_event_types(attempt.status):
        attempt.event_sequence += 1
        data = {
            "review_status": attempt.status,
            "reviewer_id": actor_id,
            "source": "staff" if actor_id is not None else "system",
            **(info or {}),
        }
        events.append(attempt_event(event_type, attempt, moment, data))
    return events
