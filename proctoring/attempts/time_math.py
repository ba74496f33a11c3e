"""The arithmetic of an attempt's time: pure functions of stored values and the current time
(no database: the modules that read and write the clock call these).

The learner's allowed time is the exam's base time limit, times the learner's time multiplier
(kept as a multiplier), plus the learner's additional minutes: ``base * multiplier + extra``.
The clock starts when the attempt starts; the deadline is the start plus the allowed time,
cut at the due date (the learner's own extended due date when it has one). Time that staff add
to a running attempt, and time it spends paused, move the deadline beyond that cut: they are
deliberate decisions by course staff. Everything is in whole seconds; nothing is rounded to
minutes.

Every computed deadline is bounded: none is later than ``LATEST_DEADLINE``, and comparisons
subtract instead of adding, so dates at the ends of the calendar (a due date of 9999-12-31)
never overflow, and an attempt can always be resumed and expired.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ADDITIONAL_TIME = "additional_time_granted"
TIME_MULTIPLIER = "time_multiplier"
DUE_DATE_EXTENSION = "due_date_extension"

# The latest deadline the service computes: two days before the end of Python's calendar, so
# that it can still be shown in every time zone (UTC-12 to UTC+14) and take a grace period.
LATEST_DEADLINE = datetime(9999, 12, 30, tzinfo=UTC)

LOW_THRESHOLD = 0.20  # warn the learner when 20% of its own allowed time is left
CRITICAL_THRESHOLD = 0.05  # and again at 5%


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC: arithmetic on datetimes of a zone with daylight saving time is
    wall-clock arithmetic in Python, and would count an hour too many or too few."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def later(moment: datetime, seconds: int) -> datetime:
    """``moment`` plus ``seconds`` (not negative), never beyond ``LATEST_DEADLINE``; a moment
    stored beyond it already stays where it is."""
    moment = _utc(moment)
    if moment >= LATEST_DEADLINE:
        return moment
    if seconds * 1_000_000 >= (LATEST_DEADLINE - moment) // timedelta(microseconds=1):
        return LATEST_DEADLINE
    return moment + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Allowances:
    """The learner's time allowances on one exam, parsed."""

    additional_minutes: int = 0
    multiplier: float = 1.0
    due_date: datetime | None = None  # the learner's extended due date

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> Allowances:
        """Parse stored allowance values; a value that does not parse counts as absent."""
        additional = 0
        raw = values.get(ADDITIONAL_TIME, "").strip()
        if raw.isascii() and raw.isdigit():
            additional = int(raw)
        multiplier = 1.0
        try:
            parsed = float(values.get(TIME_MULTIPLIER, "1"))
        except ValueError:
            parsed = 1.0
        if math.isfinite(parsed) and parsed > 0:
            multiplier = parsed
        due_date = None
        raw_due = values.get(DUE_DATE_EXTENSION, "").strip()
        if raw_due:
            try:
                candidate = datetime.fromisoformat(raw_due)
            except ValueError:
                candidate = None
            if candidate is not None and candidate.tzinfo is not None:
                try:
                    due_date = _utc(candidate)
                except OverflowError:  # no UTC equivalent: not a date the service can use
                    due_date = None
        return cls(additional_minutes=additional, multiplier=multiplier, due_date=due_date)


def allowed_seconds(*, time_limit_mins: int | None, allowances: Allowances) -> int | None:
    """The learner's own allowed time in seconds, or None for an exam with no time limit."""
    if time_limit_mins is None:
        return None
    base = time_limit_mins * 60 * allowances.multiplier
    return math.ceil(base - 1e-9) + allowances.additional_minutes * 60


def effective_due_date(
    *, exam_due_date: datetime | None, allowances: Allowances
) -> datetime | None:
    """The learner's extended due date when it has one, else the exam's."""
    return allowances.due_date or exam_due_date


def deadline(
    *,
    started_at: datetime,
    allowed: int | None,
    due_date: datetime | None,
    added_seconds: int = 0,
    paused_seconds: int = 0,
) -> datetime | None:
    """When the attempt's time runs out; None when it has neither time limit nor due date.

    Never later than ``LATEST_DEADLINE``; before the start only when the due date is (the
    callers refuse or correct that).
    """
    started_at = _utc(started_at)
    end = later(started_at, allowed) if allowed is not None else None
    if due_date is not None and (end is None or _utc(due_date) < end):
        end = min(_utc(due_date), LATEST_DEADLINE)
    if end is None:
        return None
    return later(end, added_seconds + paused_seconds)


def remaining_seconds(
    *, deadline_at: datetime | None, now: datetime, paused_at: datetime | None = None
) -> int | None:
    """Whole seconds left before the deadline (frozen while paused), never below zero."""
    if deadline_at is None:
        return None
    reference = paused_at or now
    return max(0, math.floor((_utc(deadline_at) - _utc(reference)).total_seconds()))


def is_past_deadline(
    *, deadline_at: datetime | None, now: datetime, grace_seconds: int = 0
) -> bool:
    """Whether ``now`` is beyond the deadline and its grace period."""
    if deadline_at is None:
        return False
    return _utc(now) - _utc(deadline_at) > timedelta(seconds=grace_seconds)


def warning_thresholds(allowed: int | None) -> tuple[int, int] | None:
    """(low, critical): seconds left at which a page warns, from the learner's own time."""
    if allowed is None:
        return None
    return math.floor(allowed * LOW_THRESHOLD), math.floor(allowed * CRITICAL_THRESHOLD)
