"""What a page needs to show an attempt's timer, read from the stored clock (no writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from proctoring.attempts import budget
from proctoring.attempts.budget_services import attempt_allowances
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import RUNNING_STATUSES, is_completed_status
from proctoring.attempts.timekeeping import attempt_status_at_deadline


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
        allowed = budget.allowed_seconds(
            time_limit_mins=attempt.exam.time_limit_mins,
            allowances=attempt_allowances(exam_id=attempt.exam_id, user_id=attempt.user_id),
        )
        remaining = None
    else:
        allowed = attempt.allowed_time_seconds
        remaining = (
            0
            if is_completed_status(attempt.status)
            else budget.remaining_seconds(
                deadline_at=attempt.deadline_at, now=now, paused_at=attempt.paused_at
            )
        )
    thresholds = budget.warning_thresholds(allowed)
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
