"""Changes to a running attempt's clock by course staff: add time, pause, resume, and the
deadline moved when the learner's allowances change.

Every change takes the attempt's row lock (locks.py), recomputes the deadline from the stored
clock (time_math.py) and records an ``AttemptTimeChange`` row with who and why.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F

from proctoring.attempts import time_math
from proctoring.attempts.deadline_wakeup import deadlines_changed
from proctoring.attempts.events import attempt_time_changed_event
from proctoring.attempts.locks import (
    attempt_lock,
    attempts_lock_running,
    attempts_lock_running_of_exam,
)
from proctoring.attempts.models import Attempt, AttemptTimeChange
from proctoring.attempts.statuses import RUNNING_STATUSES
from proctoring.attempts.timer import attempt_allowances, attempt_deadline
from proctoring.core.clock import now
from proctoring.core.events import events_record
from proctoring.exceptions import (
    AttemptClockError,
    InvalidAllowance,
    StudentExamAttemptDoesNotExistsException,
)

log = logging.getLogger(__name__)

MAX_ADDED_MINUTES = 24 * 60


def _lock_running(*, attempt_id: int) -> Attempt:
    attempt = attempt_lock(attempt_id=attempt_id)
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
    """The change in the attempt's time log, and its ``attempt.time_changed`` event."""
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
    event = attempt_time_changed_event(
        attempt=attempt,
        kind=kind,
        seconds=seconds,
        deadline_before=before,
        moment=moment,
        actor_id=actor_id,
        reason=reason,
    )
    events_record([event])


def _clock_changed(
    attempt: Attempt,
    fields: tuple[str, ...],
    *,
    kind: str,
    before: datetime | None,
    moment: datetime,
    actor_id: int | None,
    reason: str,
    seconds: int = 0,
) -> None:
    """Store the changed clock fields, then log the change and record its event."""
    _save_clock(attempt, moment, *fields)
    _record(
        attempt=attempt,
        kind=kind,
        before=before,
        moment=moment,
        actor_id=actor_id,
        reason=reason,
        seconds=seconds,
    )


def _save_clock(attempt: Attempt, moment: datetime, *fields: str) -> None:
    """Store the clock fields, and count the event the change will record."""
    attempt.modified = moment
    attempt.event_sequence += 1
    Attempt.objects.filter(pk=attempt.pk).update(
        modified=moment,
        event_sequence=F("event_sequence") + 1,
        **{name: getattr(attempt, name) for name in fields},
    )
    if "deadline_at" in fields:
        deadlines_changed()


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
        attempt.deadline_at = time_math.later(before, minutes * 60)
        _clock_changed(
            attempt,
            ("added_seconds", "deadline_at"),
            kind=AttemptTimeChange.Kind.ADD_TIME,
            before=before,
            moment=moment,
            actor_id=actor_id,
            reason=reason,
            seconds=minutes * 60,
        )
    log.info("Added %s minutes to attempt %s: %s", minutes, attempt_id, reason)
    return attempt


def attempts_add_time_for_exam(
    *, exam_id: int, minutes: int, actor_id: int | None, reason: str
) -> list[Attempt]:
    """Staff add minutes to every running attempt of the exam at once (an incident), with a
    reason: one transaction, and a fixed number of statements whatever the number of
    attempts (the lock, one UPDATE, one INSERT of the time changes, one of the events).
    Each attempt records its own time change and ``attempt.time_changed`` event."""
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 0 < minutes <= MAX_ADDED_MINUTES
    ):
        raise AttemptClockError(f"minutes must be a whole number from 1 to {MAX_ADDED_MINUTES}.")
    if not reason.strip():
        raise AttemptClockError("Adding time to every attempt needs a reason (the incident).")
    seconds = minutes * 60
    with transaction.atomic():
        attempts = attempts_lock_running_of_exam(exam_id=exam_id)
        moment = now()
        changes, events = [], []
        for attempt in attempts:
            before = attempt.deadline_at
            attempt.added_seconds += seconds
            attempt.deadline_at = time_math.later(before, seconds) if before else None
            attempt.modified = moment
            attempt.event_sequence += 1
            changes.append(
                AttemptTimeChange(
                    attempt=attempt,
                    kind=AttemptTimeChange.Kind.ADD_TIME,
                    seconds=seconds,
                    deadline_before=before,
                    deadline_after=attempt.deadline_at,
                    changed_at=moment,
                    actor_id=actor_id,
                    reason=reason,
                )
            )
            events.append(
                attempt_time_changed_event(
                    attempt=attempt,
                    kind=AttemptTimeChange.Kind.ADD_TIME,
                    seconds=seconds,
                    deadline_before=before,
                    moment=moment,
                    actor_id=actor_id,
                    reason=reason,
                )
            )
        if attempts:
            Attempt.objects.bulk_update(
                attempts, ["added_seconds", "deadline_at", "modified", "event_sequence"]
            )
            AttemptTimeChange.objects.bulk_create(changes)
            events_record(events)
            deadlines_changed()
    log.info(
        "Added %s minutes to %s attempts of exam %s: %s", minutes, len(attempts), exam_id, reason
    )
    return attempts


def attempt_pause(*, attempt_id: int, actor_id: int | None, reason: str = "") -> Attempt:
    """Stop a running attempt's clock until it is resumed."""
    with transaction.atomic():
        attempt = _lock_running(attempt_id=attempt_id)
        if attempt.paused_at is not None:
            raise AttemptClockError(f"Attempt {attempt_id} is already paused.")
        moment = now()
        if time_math.is_past_deadline(deadline_at=attempt.deadline_at, now=moment):
            raise AttemptClockError(f"Attempt {attempt_id} is past its deadline.")
        attempt.paused_at = moment
        _clock_changed(
            attempt,
            ("paused_at",),
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
            attempt.deadline_at = time_math.later(before, paused)
        _clock_changed(
            attempt,
            ("paused_seconds", "paused_at", "deadline_at"),
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
    changed the allowance: an allowance that would end the attempt before it started raises
    ``InvalidAllowance``, which rolls the change back.
    """
    with transaction.atomic():
        attempt = attempts_lock_running(exam_id=exam_id, user_id=user_id)
        if attempt is None or attempt.started_at is None:
            return None
        allowances = attempt_allowances(exam_id=exam_id, user_id=user_id)
        before = attempt.deadline_at
        deadline_at = attempt_deadline(attempt=attempt, allowances=allowances)
        if deadline_at is not None and deadline_at < attempt.started_at:
            raise InvalidAllowance(
                f"The learner's attempt {attempt.pk} started at {attempt.started_at.isoformat()}; "
                f"with these allowances its deadline would be {deadline_at.isoformat()}, before "
                "it started."
            )
        attempt.allowed_time_seconds = time_math.allowed_seconds(
            time_limit_mins=attempt.time_limit_mins, allowances=allowances
        )
        attempt.deadline_at = deadline_at
        moment = now()
        _clock_changed(
            attempt,
            ("allowed_time_seconds", "deadline_at"),
            kind=AttemptTimeChange.Kind.ALLOWANCE,
            before=before,
            moment=moment,
            actor_id=actor_id,
            reason=reason,
        )
    return attempt


class RunningDeadlinesFollowAllowances:
    """The attempts app's ``AllowanceListener``: running attempts' deadlines follow their
    learners' allowances (registered in ``AttemptsConfig.ready``)."""

    def allowances_changed(
        self, *, exam_ids: Collection[int], user_ids: Collection[int], actor_id: int | None
    ) -> None:
        if len(exam_ids) == 1 and len(user_ids) == 1:
            pairs: Iterable[tuple[int, int]] = [(next(iter(exam_ids)), next(iter(user_ids)))]
        else:
            pairs = Attempt.objects.filter(
                exam_id__in=exam_ids,
                user_id__in=user_ids,
                archived_at__isnull=True,
                status__in=RUNNING_STATUSES,
            ).values_list("exam_id", "user_id")
        for exam_id, user_id in pairs:
            attempt_apply_allowances(exam_id=exam_id, user_id=user_id, actor_id=actor_id)
