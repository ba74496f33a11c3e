"""The deadline's consequences: a submission in time or too late, and the expiry job that
times out every running attempt past its deadline."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from proctoring.attempts import time_math
from proctoring.attempts.locks import attempt_lock, attempts_lock_overdue
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import RUNNING_STATUSES, AttemptStatus
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.core.clock import now
from proctoring.exceptions import AttemptDeadlinePassed, StudentExamAttemptDoesNotExistsException

log = logging.getLogger(__name__)

CAUSE_DEADLINE = "deadline"


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
    attempt_time_out(attempt=attempt, actor_id=actor_id, cause="late submission")
    return AttemptDeadlinePassed(
        f"The time for this exam ran out at {attempt.deadline_at:%Y-%m-%d %H:%M:%S} UTC; the "
        "attempt was timed out and the submission was not accepted."
    )


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
        late = attempt_submit_locked(attempt=locked, actor_id=actor_id, cause=cause)
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
