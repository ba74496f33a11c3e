"""Reads the stored values the time budget needs and applies budget.py to an attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from proctoring.allowances.selectors import allowance_values
from proctoring.attempts import budget
from proctoring.attempts.models import Attempt


def attempt_allowances(*, exam_id: int, user_id: int) -> budget.Allowances:
    """The learner's time allowances on the exam, parsed."""
    return budget.Allowances.from_values(allowance_values(exam_id=exam_id, user_id=user_id))


def attempt_clock_at_start(*, attempt: Attempt, started_at: datetime) -> dict[str, Any]:
    """The clock fields an attempt gets when it starts: the exam's time limit as it is now,
    the learner's allowed time, and the deadline."""
    exam = attempt.exam
    allowances = attempt_allowances(exam_id=exam.pk, user_id=attempt.user_id)
    allowed = budget.allowed_seconds(time_limit_mins=exam.time_limit_mins, allowances=allowances)
    return {
        "time_limit_mins": exam.time_limit_mins,
        "allowed_time_seconds": allowed,
        "deadline_at": budget.deadline(
            started_at=started_at,
            allowed=allowed,
            due_date=budget.effective_due_date(exam_due_date=exam.due_date, allowances=allowances),
        ),
    }


def attempt_deadline(*, attempt: Attempt, allowances: budget.Allowances) -> datetime | None:
    """The running attempt's deadline from its stored clock and the given allowances."""
    if attempt.started_at is None:
        return None
    allowed = budget.allowed_seconds(time_limit_mins=attempt.time_limit_mins, allowances=allowances)
    return budget.deadline(
        started_at=attempt.started_at,
        allowed=allowed,
        due_date=budget.effective_due_date(
            exam_due_date=attempt.exam.due_date, allowances=allowances
        ),
        added_seconds=attempt.added_seconds,
        paused_seconds=attempt.paused_seconds,
    )
