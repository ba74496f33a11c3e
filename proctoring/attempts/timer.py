"""Reads of an attempt's clock: the timer a page shows, and the clock an attempt gets when it
starts. Nothing here writes; the arithmetic is in time_math.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from proctoring.allowances.selectors import allowance_values
from proctoring.attempts import time_math
from proctoring.attempts.locks import loaded_allowance_values
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import RUNNING_STATUSES, is_completed_status, timeout_status
from proctoring.courses.provider_settings import course_provider_settings


def attempt_allowances(*, exam_id: int, user_id: int) -> time_math.Allowances:
    """The learner's time allowances on the exam, parsed."""
    return time_math.Allowances.from_values(allowance_values(exam_id=exam_id, user_id=user_id))


def attempt_allowances_loaded(attempt: Attempt) -> time_math.Allowances:
    """The learner's time allowances: those loaded with the locked attempt
    (``attempt_lock(..., with_allowances=True)``), else read now."""
    values = loaded_allowance_values(attempt)
    if values is None:
        return attempt_allowances(exam_id=attempt.exam_id, user_id=attempt.user_id)
    return time_math.Allowances.from_values(values)


def attempt_due_date(*, attempt: Attempt, allowances: time_math.Allowances) -> datetime | None:
    """The learner's due date on the attempt's exam: its extension, else the exam's."""
    return time_math.effective_due_date(exam_due_date=attempt.exam.due_date, allowances=allowances)


def _allowed(
    attempt: Attempt, *, time_limit_mins: int | None, allowances: time_math.Allowances
) -> int | None:
    """The learner's allowed time on the attempt: what an attempt resumed after an error had
    left (its allowances were counted in it), else the time limit with the allowances."""
    if attempt.time_remaining_seconds is not None:
        return attempt.time_remaining_seconds
    return time_math.allowed_seconds(time_limit_mins=time_limit_mins, allowances=allowances)


def attempt_clock_at_start(
    *, attempt: Attempt, started_at: datetime, allowances: time_math.Allowances
) -> dict[str, Any]:
    """The clock fields an attempt gets when it starts: the exam's time limit as it is now,
    the learner's allowed time, and the deadline.

    A start after the due date (the learners' actions refuse it; the Python API keeps the
    reference's semantics and allows it) gets its start as deadline, never an earlier one.
    """
    exam = attempt.exam
    allowed = _allowed(attempt, time_limit_mins=exam.time_limit_mins, allowances=allowances)
    deadline_at = time_math.deadline(
        started_at=started_at,
        allowed=allowed,
        due_date=time_math.effective_due_date(exam_due_date=exam.due_date, allowances=allowances),
    )
    return {
        "time_limit_mins": exam.time_limit_mins,
        "allowed_time_seconds": allowed,
        "deadline_at": max(deadline_at, started_at) if deadline_at is not None else None,
    }


def attempt_deadline(*, attempt: Attempt, allowances: time_math.Allowances) -> datetime | None:
    """The running attempt's deadline from its stored clock and the given allowances."""
    if attempt.started_at is None:
        return None
    allowed = _allowed(attempt, time_limit_mins=attempt.time_limit_mins, allowances=allowances)
    return time_math.deadline(
        started_at=attempt.started_at,
        allowed=allowed,
        due_date=time_math.effective_due_date(
            exam_due_date=attempt.exam.due_date, allowances=allowances
        ),
        added_seconds=attempt.added_seconds,
        paused_seconds=attempt.paused_seconds,
    )


def attempt_status_at_deadline(*, attempt: Attempt) -> str:
    """The status the expiry job will give the attempt (the reference's time-out rule, with
    the settings of the course's provider; the course must be loaded with the attempt)."""
    return timeout_status(
        from_status=attempt.status, provider_settings=course_provider_settings(attempt.exam.course)
    )


@dataclass(frozen=True)
class AttemptClock:
    """An attempt's timer at ``now``."""

    now: datetime
    allowed_seconds: int | None  # the learner's own allowed time
    deadline_at: datetime | None
    remaining_seconds: int | None  # 0 once completed or past the deadline; None before start
    paused: bool
    low_threshold_seconds: int | None  # warn when this little time is left (20%)
    critical_threshold_seconds: int | None  # and again here (5%)
    status_at_deadline: str | None  # what the expiry job will make of a running attempt

    @property
    def allowed_minutes(self) -> float | None:
        return self.allowed_seconds / 60 if self.allowed_seconds is not None else None


def attempt_clock(*, attempt: Attempt, now: datetime) -> AttemptClock:
    """The attempt's clock. A started attempt is read from its stored clock in no query
    (the exam and its course must be loaded with it); before the start, the allowed time the
    learner would get is computed from its allowances."""
    if attempt.started_at is None:
        allowed = _allowed(
            attempt,
            time_limit_mins=attempt.exam.time_limit_mins,
            allowances=attempt_allowances_loaded(attempt),  # loaded with it, or read now
        )
        remaining = None
    else:
        allowed = attempt.allowed_time_seconds
        remaining = (
            0
            if is_completed_status(attempt.status)
            else time_math.remaining_seconds(
                deadline_at=attempt.deadline_at, now=now, paused_at=attempt.paused_at
            )
        )
    thresholds = time_math.warning_thresholds(allowed)
    running = attempt.status in RUNNING_STATUSES and attempt.deadline_at is not None
    return AttemptClock(
        now=now,
        allowed_seconds=allowed,
        deadline_at=attempt.deadline_at,
        remaining_seconds=remaining,
        paused=attempt.paused_at is not None,
        low_threshold_seconds=thresholds[0] if thresholds else None,
        critical_threshold_seconds=thresholds[1] if thresholds else None,
        status_at_deadline=attempt_status_at_deadline(attempt=attempt) if running else None,
    )
