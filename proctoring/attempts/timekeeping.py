"""Services of a running attempt's clock: add time, pause, resume, allowance changes, expiry.

Every change takes the attempt's row lock, recomputes the deadline from the stored clock
(budget.py) and records an ``AttemptTimeChange`` row with who and why.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from proctoring.attempts import budget, statuses
from proctoring.attempts.budget_services import attempt_allowances, attempt_deadline
from proctoring.attempts.emails import attempt_status_email_schedule
from proctoring.attempts.models import Attempt, AttemptTimeChange
from proctoring.attempts.services import (
    StatusEffects,
    attempt_update_status,
    attempts_move,
    timeout_status,
)
from proctoring.attempts.statuses import RUNNING_STATUSES, AttemptStatus
from proctoring.core.clock import now
from proctoring.exceptions import (
    AttemptClockError,
    AttemptDeadlinePassed,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.providers.settings import default_provider_name, get_proctoring_settings

log = logging.getLogger(__name__)

MAX_ADDED_MINUTES = 24 * 60
CAUSE_DEADLINE = "deadline"


def _lock_running(*, attempt_id: int) -> Attempt:
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("exam")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None:
        raise StudentExamAttemptDoesNotExistsException(f"There is no attempt with id {attempt_id}.")
    if attempt.archived_at is not None:
        raise AttemptClockError(f"Attempt {attempt_id} was reset; its clock cannot change.")
    if attempt.status not in RUNNING_STATUSES:
        raise AttemptClockError(
            f"Attempt {attempt_id} is {attempt.status}; its clock is not running."
        )
    return attempt


def _record(
    *,
    attempt: Attempt,
    kind: str,
    before: datetime | None,
    moment: datetime,
    actor_id: int | None,
    reason: str,
    seconds: int = 0,
) -> None:
    AttemptTimeChange.objects.create(
        attempt=attempt,
        kind=kind,
        seconds=seconds,
        deadline_before=before,
        deadline_after=attempt.deadline_at,
        changed_at=moment,
        actor_id=actor_id,
        reason=reason,
    )


def _save_clock(attempt: Attempt, moment: datetime, *fields: str) -> None:
    attempt.modified = moment
    Attempt.objects.filter(pk=attempt.pk).update(
        modified=moment, **{name: getattr(attempt, name) for name in fields}
    )


def attempt_add_time(
    *, attempt_id: int, minutes: int, actor_id: int | None, reason: str = ""
) -> Attempt:
    """Staff add minutes to a running attempt: its deadline moves by that much."""
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 0 < minutes <= MAX_ADDED_MINUTES
    ):
        raise AttemptClockError(f"minutes must be a whole number from 1 to {MAX_ADDED_MINUTES}.")
    with transaction.atomic():
        attempt = _lock_running(attempt_id=attempt_id)
        if attempt.deadline_at is None:
            raise AttemptClockError(f"Attempt {attempt_id} has no time limit to extend.")
        moment = now()
        before = attempt.deadline_at
        attempt.added_seconds += minutes * 60
        attempt.deadline_at = before + timedelta(minutes=minutes)
        _save_clock(attempt, moment, "added_seconds", "deadline_at")
        _record(
            attempt=attempt,
            kind=AttemptTimeChange.Kind.ADD_TIME,
            before=before,
            moment=moment,
            actor_id=actor_id,
            reason=reason,
            seconds=minutes * 60,
        )
    log.info("Added %s minutes to attempt %s: %s", minutes, attempt_id, reason)
    return attempt


def attempt_pause(*, attempt_id: int, actor_id: int | None, reason: str = "") -> Attempt:
    """Stop a running attempt's clock until it is resumed."""
    with transaction.atomic():
        attempt = _lock_running(attempt_id=attempt_id)
        if attempt.paused_at is not None:
            raise AttemptClockError(f"Attempt {attempt_id} is already paused.")
        moment = now()
        if budget.is_past_deadline(deadline_at=attempt.deadline_at, now=moment):
            raise AttemptClockError(f"Attempt {attempt_id} is past its deadline.")
        attempt.paused_at = moment
        _save_clock(attempt, moment, "paused_at")
        _record(
            attempt=attempt,
            kind=AttemptTimeChange.Kind.PAUSE,
            before=attempt.deadline_at,
            moment=moment,
            actor_id=actor_id,
            reason=reason,
        )
    return attempt


def attempt_resume(*, attempt_id: int, actor_id: int | None, reason: str = "") -> Attempt:
    """Start a paused attempt's clock again; the deadline moves by the time spent paused."""
    with transaction.atomic():
        attempt = _lock_running(attempt_id=attempt_id)
        if attempt.paused_at is None:
            raise AttemptClockError(f"Attempt {attempt_id} is not paused.")
        moment = now()
        paused = max(0, math.ceil((moment - attempt.paused_at).total_seconds()))
        before = attempt.deadline_at
        attempt.paused_seconds += paused
        attempt.paused_at = None
        if before is not None:
            attempt.deadline_at = before + timedelta(seconds=paused)
        _save_clock(attempt, moment, "paused_seconds", "paused_at", "deadline_at")
        _record(
            attempt=attempt,
            kind=AttemptTimeChange.Kind.RESUME,
            before=before,
            moment=moment,
            actor_id=actor_id,
            reason=reason,
            seconds=paused,
        )
    return attempt


def attempt_apply_allowances(
    *, exam_id: int, user_id: int, actor_id: int | None, reason: str = ""
) -> Attempt | None:
    """After an allowance changed: move the learner's running attempt's deadline to match.

    Returns the attempt when one was running, else None. Call it inside the transaction that
    changed the allowance.
    """
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("exam")
            .filter(
                exam_id=exam_id,
                user_id=user_id,
                archived_at__isnull=True,
                status__in=RUNNING_STATUSES,
            )
            .first()
        )
        if attempt is None or attempt.started_at is None:
            return None
        allowances = attempt_allowances(exam_id=exam_id, user_id=user_id)
        before = attempt.deadline_at
        attempt.allowed_time_seconds = budget.allowed_seconds(
            time_limit_mins=attempt.time_limit_mins, allowances=allowances
        )
        attempt.deadline_at = attempt_deadline(attempt=attempt, allowances=allowances)
        moment = now()
        _save_clock(attempt, moment, "allowed_time_seconds", "deadline_at")
        _record(
            attempt=attempt,
            kind=AttemptTimeChange.Kind.ALLOWANCE,
            before=before,
            moment=moment,
            actor_id=actor_id,
            reason=reason,
        )
    return attempt


def attempt_status_at_deadline(*, attempt: Attempt) -> AttemptStatus:
    """The status the expiry job will give the attempt (the reference's time-out rule)."""
    course = attempt.exam.course
    return timeout_status(
        from_status=attempt.status,
        provider_settings=get_proctoring_settings(course.provider or default_provider_name()),
    )


def attempt_time_out(
    *, attempt: Attempt, actor_id: int | None = None, cause: str = CAUSE_DEADLINE
) -> int | None:
    """Time the attempt out, recording its deadline as ``completed_at``."""
    return attempt_update_status(
        exam_id=attempt.exam_id,
        user_id=attempt.user_id,
        to_status=AttemptStatus.TIMED_OUT,
        actor_id=actor_id,
        cause=cause,
        completed_at=attempt.deadline_at,
    )


def attempt_submit_locked(
    *, attempt: Attempt, actor_id: int | None, cause: str = "learner:submit"
) -> AttemptDeadlinePassed | None:
    """Submit an attempt the caller holds the row lock of, if in time.

    In time means up to the grace period after the deadline (a paused clock is always in
    time). Later, the attempt is timed out instead (its deadline as ``completed_at``) and the
    error to raise is returned: the caller raises it once the time-out has committed.
    """
    late = (
        attempt.status in RUNNING_STATUSES
        and attempt.paused_at is None
        and budget.is_past_deadline(
            deadline_at=attempt.deadline_at,
            now=now(),
            grace_seconds=settings.PROCTORING_SUBMIT_GRACE_SECONDS,
        )
    )
    if not late:
        attempt_update_status(
            exam_id=attempt.exam_id,
            user_id=attempt.user_id,
            to_status=AttemptStatus.SUBMITTED,
            actor_id=actor_id,
            cause=cause,
        )
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
        locked = Attempt.objects.select_for_update(of=("self",)).filter(pk=attempt_id).first()
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

    Each batch is selected and locked in one query (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so
    several copies of the job share the work and never take the same attempt) and timed out
    in bulk: the reference's time-out rule per attempt, its deadline as ``completed_at``, one
    ``UPDATE`` per resulting status, the history rows and credit updates in one write each, and
    the status emails after the commit. Returns how many expired.
    """
    moment = moment or now()
    size = batch_size or settings.PROCTORING_EXPIRY_BATCH_SIZE
    cutoff = moment - timedelta(seconds=settings.PROCTORING_SUBMIT_GRACE_SECONDS)
    expired = batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            candidates = (
                Attempt.objects.select_related("exam__course", "user")
                .filter(
                    status__in=sorted(RUNNING_STATUSES),
                    paused_at__isnull=True,
                    archived_at__isnull=True,
                    deadline_at__lt=cutoff,
                )
                .order_by("deadline_at", "id")
            )
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            batch = list(candidates[:size])
            _time_out_batch(batch, moment=moment)
        expired += len(batch)
        if len(batch) < size:
            break
    if expired:
        log.info("Expired %s attempts past their deadline", expired)
    return expired


def _time_out_batch(batch: list[Attempt], *, moment: datetime) -> None:
    """Time out locked, running attempts past their deadline (the expiry job's batch)."""
    by_status: dict[AttemptStatus, list[Attempt]] = defaultdict(list)
    for attempt in batch:
        by_status[attempt_status_at_deadline(attempt=attempt)].append(attempt)
    effects = StatusEffects()
    for to_status, attempts in by_status.items():
        attempts_move(
            attempts=attempts,
            to_status=to_status,
            exams={attempt.exam_id: attempt.exam for attempt in attempts},
            moment=moment,
            actor_id=None,
            cause=CAUSE_DEADLINE,
            effects=effects,
            completed_at_deadline=True,
        )
        if statuses.needs_status_change_email(to_status):
            for attempt in attempts:
                if attempt.taking_as_proctored and not attempt.is_sample_attempt:
                    attempt_status_email_schedule(attempt=attempt, status=to_status)
    effects.apply()
