"""The clock of an attempt, as pure functions of stored values and the current time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from proctoring.allowances.selectors import allowance_values, allowed_time_minutes
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import is_completed_status


def attempt_time_remaining_seconds(
    *, status: str, started_at: datetime | None, allowed_minutes: float | None, now: datetime
) -> int | None:
    """Seconds left on the attempt's clock: started_at + allowed time - now, never below 0.

    None while the clock has not started or when the exam has no time limit; 0 once the
    attempt is completed.
    """
    if started_at is None or allowed_minutes is None:
        return None
    if is_completed_status(status):
        return 0
    # In float seconds: no allowance, however large, overflows a timedelta.
    left = (started_at - now).total_seconds() + allowed_minutes * 60
    return max(0, math.floor(left)) if math.isfinite(left) else None


@dataclass(frozen=True)
class AttemptClock:
    """What a page needs to show an attempt's timer."""

    allowed_minutes: float | None
    remaining_seconds: int | None
    now: datetime


def attempt_clock(*, attempt: Attempt, now: datetime) -> AttemptClock:
    """The attempt's clock at ``now``; reads the learner's allowances once the clock runs."""
    exam = attempt.exam
    allowed = None
    if exam.time_limit_mins is not None:
        allowances = (
            allowance_values(exam_id=exam.pk, user_id=attempt.user_id)
            if attempt.started_at is not None
            else {}
        )
        allowed = allowed_time_minutes(time_limit_mins=exam.time_limit_mins, allowances=allowances)
    remaining = attempt_time_remaining_seconds(
        status=attempt.status, started_at=attempt.started_at, allowed_minutes=allowed, now=now
    )
    return AttemptClock(allowed_minutes=allowed, remaining_seconds=remaining, now=now)
