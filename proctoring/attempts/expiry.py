"""The deadline's consequences: a submission in time or too late, and the expiry job that
times out every running attempt past its deadline and expires every attempt never started
once its due date has passed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from proctoring.attempts import time_math
from proctoring.attempts.locks import (
    EXTENSION,
    attempt_lock,
    attempts_lock_overdue,
    attempts_lock_past_due,
)
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.statuses import RUNNING_STATUSES, AttemptStatus
from proctoring.attempts.timer import attempt_due_date
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.core.clock import now
from proctoring.exceptions import AttemptDeadlinePassed, StudentExamAttemptDoesNotExistsException

log = logging.getLogger(__name__)

CAUSE_DEADLINE = "deadline"
CAUSE_LATE_SUBMISSION = "late submission"
CAUSE_DUE_DATE = "due date"
TIME_OUT_CAUSES = frozenset({CAUSE_DEADLINE, CAUSE_LATE_SUBMISSION})


def _deadline_passed(attempt: Attempt) -> AttemptDeadlinePassed:
    ran_out = f" at {attempt.deadline_at:%Y-%m-%d %H:%M:%S} UTC" if attempt.deadline_at else ""
    return AttemptDeadlinePassed(
        f"The time for this exam ran out{ran_out}; the attempt was timed out and the "
        "submission was not accepted."
    )


def attempt_timed_out_error(*, attempt: Attempt) -> AttemptDeadlinePassed | None:
    """The answer to a submission of an attempt that its deadline already timed out (by the
    expiry job or an earlier late submission): the same ``AttemptDeadlinePassed`` as the late
    submission that times it out. None for any other attempt: an attempt submitted in time and
    submitted again is the harmless repeat.

    Timed out means ``timed_out``, or ``submitted`` at its deadline (the start when that was
    earlier) by a time-out, which its history tells (read only in that case).
    """
    if attempt.status == AttemptStatus.TIMED_OUT:
        return _deadline_passed(attempt)
    if attempt.status != AttemptStatus.SUBMITTED or attempt.deadline_at is None:
        return None
    at_deadline = attempt.deadline_at
    if attempt.started_at is not None:
        at_deadline = max(at_deadline, attempt.started_at)
    if attempt.completed_at != at_deadline:
        return None
    cause = (
        AttemptHistory.objects.filter(attempt_id=attempt.pk, to_status=attempt.status)
        .order_by("-id")
        .values_list("cause", flat=True)
        .first()
    )
    return _deadline_passed(attempt) if cause in TIME_OUT_CAUSES else None


def attempt_time_out(
    *, attempt: Attempt, actor_id: int | None = None, cause: str = CAUSE_DEADLINE
) -> None:
    """Time out an attempt the caller holds locked, recording its deadline as ``completed_at``."""
    move = Move(AttemptStatus.TIMED_OUT, actor_id=actor_id, cause=cause, at_deadline=True)
    attempts_transition(attempts=[attempt], move=move)


def attempt_submit_locked(
    *, attempt: Attempt, actor_id: int | None, cause: str = "learner:submit"
) -> AttemptDeadlinePassed | None:
    """Submit an attempt the caller holds locked, if in time.

    In time means up to the grace period after the deadline (a paused clock is always in
    time). Later, the attempt is timed out instead (its deadline as ``completed_at``) and the
    error to raise is returned: the caller raises it once the time-out has committed.
    """
    late = (
        attempt.status in RUNNING_STATUSES
        and attempt.paused_at is None
        and time_math.is_past_deadline(
            deadline_at=attempt.deadline_at,
            now=now(),
            grace_seconds=settings.PROCTORING_SUBMIT_GRACE_SECONDS,
        )
    )
    if not late:
        move = Move(AttemptStatus.SUBMITTED, actor_id=actor_id, cause=cause, cascade=True)
        attempts_transition(attempts=[attempt], move=move)
        return None
    attempt_time_out(attempt=attempt, actor_id=actor_id, cause=CAUSE_LATE_SUBMISSION)
    return _deadline_passed(attempt)


def attempt_submit_in_time(
    *, attempt_id: int, actor_id: int | None, cause: str = "learner:submit"
) -> None:
    """The learner submits: accepted up to the grace period after the deadline; later, the
    attempt is timed out instead and ``AttemptDeadlinePassed`` is raised."""
    with transaction.atomic():
        locked = attempt_lock(attempt_id=attempt_id)
        if locked is None:
            raise StudentExamAttemptDoesNotExistsException(
                f"There is no attempt with id {attempt_id}."
            )
        late = attempt_timed_out_error(attempt=locked) or attempt_submit_locked(
            attempt=locked, actor_id=actor_id, cause=cause
        )
    if late is not None:
        raise late


def attempts_expire_overdue(
    *, moment: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Time out every running, unpaused attempt whose deadline and grace period have passed.

    Batch by batch, each selected and locked in one statement (locks.attempts_lock_overdue) and
    timed out through the one transition: the reference's time-out rule per attempt, its
    deadline as ``completed_at``, one ``UPDATE`` per resulting status, the history rows in one
    write, credit and emails after the commit. Returns how many expired.
    """
    moment = moment or now()
    size = batch_size or settings.PROCTORING_EXPIRY_BATCH_SIZE
    cutoff = moment - timedelta(seconds=settings.PROCTORING_SUBMIT_GRACE_SECONDS)
    move = Move(AttemptStatus.TIMED_OUT, cause=CAUSE_DEADLINE, at_deadline=True)
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            batch = attempts_lock_overdue(cutoff=cutoff, limit=size)
            attempts_transition(attempts=batch, move=move, moment=moment)
        expired += len(batch)
        if len(batch) < size:
            break
    if expired:
        log.info("Expired %s attempts past their deadline", expired)
    return expired


def _past_due(attempt: Attempt, moment: datetime) -> bool:
    """The locked attempt's due date, parsed, is ``moment`` or earlier."""
    raw = getattr(attempt, EXTENSION, None)
    allowances = time_math.Allowances.from_values({time_math.DUE_DATE_EXTENSION: raw or ""})
    due = attempt_due_date(attempt=attempt, allowances=allowances)
    return due is not None and due <= moment


def attempts_expire_past_due(
    *, moment: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Give ``expired`` to every current attempt that was never started (created,
    download_software_clicked, ready_to_start) once its due date has passed: the learner's
    extended due date when it has one, else the exam's (the reference's rule).

    Batch by batch, selected and locked in one statement (locks.attempts_lock_past_due, SKIP
    LOCKED on PostgreSQL) and moved together through the one transition, with the cause
    ``due date``. Returns how many expired.
    """
    moment = moment or now()
    size = batch_size or settings.PROCTORING_EXPIRY_BATCH_SIZE
    move = Move(AttemptStatus.EXPIRED, cause=CAUSE_DUE_DATE)
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            batch = attempts_lock_past_due(moment=moment, limit=size)
            due = [attempt for attempt in batch if _past_due(attempt, moment)]
            attempts_transition(attempts=due, move=move, moment=moment)
        expired += len(due)
        if len(batch) < size or len(due) < len(batch):  # a row left behind stops the run
            break
    if expired:
        log.info("Expired %s attempts never started past their due date", expired)
    return expired


def attempts_next_time_out() -> datetime | None:
    """When the next running attempt becomes overdue: the earliest deadline of a running,
    unpaused, current attempt plus the grace period, or None when no attempt runs against a
    deadline. One query on the index the expiry job uses (attempt_running_deadline)."""
    earliest = (
        Attempt.objects.filter(
            status__in=sorted(RUNNING_STATUSES),
            paused_at__isnull=True,
            archived_at__isnull=True,
            deadline_at__isnull=False,
        )
        .order_by("deadline_at")
        .values_list("deadline_at", flat=True)
        .first()
    )
    if earliest is None:
        return None
    return earliest + timedelta(seconds=settings.PROCTORING_SUBMIT_GRACE_SECONDS)


def attempts_expire(
    *, moment: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """The expiry job: time out the running attempts past their deadline
    (``attempts_expire_overdue``), then expire the attempts never started past their due date
    (``attempts_expire_past_due``), both at the same moment. Returns how many it ended."""
    moment = moment or now()
    overdue = attempts_expire_overdue(moment=moment, batch_size=batch_size, max_batches=max_batches)
    return overdue + attempts_expire_past_due(
        moment=moment, batch_size=batch_size, max_batches=max_batches
    )
