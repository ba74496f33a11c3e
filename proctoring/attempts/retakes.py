"""Taking an exam again: a learner's retake of a practice exam, and resuming an attempt that
failed (error) with the time it had left, once course staff allow it.

Both archive the attempt (``archived_at``) and create attempt number n+1 in one transaction,
so the learner always has exactly one current attempt. A staff reset (actions.py) is the third
way; the credit and email consumers follow the latest attempt (effects.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from proctoring.attempts import time_math
from proctoring.attempts.actions import attempt_archive_locked, attempt_lock_current
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create
from proctoring.attempts.statuses import AttemptStatus, is_completed_status
from proctoring.core.clock import now
from proctoring.exceptions import AttemptActionNotAllowed

log = logging.getLogger(__name__)

CAUSE_RETAKE = "learner:retake"
CAUSE_RESUMABLE = "staff:resumable"
CAUSE_RESUME = "learner:resume"


def attempt_retake_practice(*, attempt_id: int, actor_id: int) -> Attempt:
    """The learner takes a practice exam again on its own: its finished attempt is archived
    (the platform hears ``attempt.reset``) and the next one created. Only a practice exam,
    and only once the attempt is completed."""
    with transaction.atomic():
        old = attempt_lock_current(attempt_id=attempt_id, owner_id=actor_id)
        if not old.exam.is_practice_exam:
            raise AttemptActionNotAllowed(
                "Only a practice exam can be retaken by its learner: ask course staff for a reset."
            )
        if not is_completed_status(old.status):
            raise AttemptActionNotAllowed(
                f"An attempt that is {old.status} cannot be retaken: finish it first."
            )
        attempt_archive_locked(attempt=old, actor_id=actor_id, cause=CAUSE_RETAKE)
        new = attempt_create(
            exam_id=old.exam_id,
            user_id=old.user_id,
            taking_as_proctored=old.taking_as_proctored,
            actor_id=actor_id,
            cause=CAUSE_RETAKE,
        )
    log.info("Practice attempt %s retaken as %s", old.pk, new.pk)
    return new


def attempt_mark_resumable(*, attempt_id: int, actor_id: int | None, reason: str = "") -> Attempt:
    """Course staff let the learner continue an attempt that failed (``error``) after it
    started: it is marked ``ready_to_resume`` with the time it had left when it failed."""
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id)
        if attempt.status != AttemptStatus.ERROR or attempt.started_at is None:
            raise AttemptActionNotAllowed(
                f"Only an attempt that failed (error) after it started can be resumed; this "
                f"one is {attempt.status}{'' if attempt.started_at else ', never started'}."
            )
        if attempt.resumed:
            raise AttemptActionNotAllowed(f"Attempt {attempt_id} was resumed already.")
        remaining = time_math.remaining_seconds(
            deadline_at=attempt.deadline_at, now=_failed_at(attempt), paused_at=attempt.paused_at
        )
        if remaining == 0:
            raise AttemptActionNotAllowed(
                "The attempt had no time left when it failed: there is nothing to resume."
            )
        moment = now()
        Attempt.objects.filter(pk=attempt.pk).update(
            ready_to_resume=True, time_remaining_seconds=remaining, modified=moment
        )
        attempt.ready_to_resume, attempt.time_remaining_seconds = True, remaining
        AttemptHistory.objects.create(
            attempt=attempt,
            from_status=attempt.status,
            to_status=attempt.status,
            changed_at=moment,
            actor_id=actor_id,
            cause=CAUSE_RESUMABLE,
            reason=reason,
        )
    log.info("Attempt %s may resume with %s seconds", attempt_id, remaining)
    return attempt


def _failed_at(attempt: Attempt) -> datetime:
    """When the attempt moved to ``error`` (its latest such history row)."""
    moved = (
        AttemptHistory.objects.filter(attempt_id=attempt.pk, to_status=AttemptStatus.ERROR)
        .exclude(from_status=AttemptStatus.ERROR)
        .order_by("-id")
        .values_list("changed_at", flat=True)
        .first()
    )
    return moved or attempt.modified


def attempt_resume(*, attempt_id: int, actor_id: int) -> Attempt:
    """The learner continues an attempt staff marked resumable: it is archived (``resumed``;
    the platform is told nothing, the learner's answers stay) and attempt n+1 is created with
    the time that was left, which its clock gets when it starts."""
    with transaction.atomic():
        old = attempt_lock_current(attempt_id=attempt_id, owner_id=actor_id)
        if not old.ready_to_resume or old.resumed or old.status != AttemptStatus.ERROR:
            raise AttemptActionNotAllowed(
                f"Attempt {attempt_id} cannot be resumed: course staff must allow it first."
            )
        Attempt.objects.filter(pk=old.pk).update(resumed=True)
        old.resumed = True
        attempt_archive_locked(attempt=old, actor_id=actor_id, cause=CAUSE_RESUME, tell=False)
        new = attempt_create(
            exam_id=old.exam_id,
            user_id=old.user_id,
            taking_as_proctored=old.taking_as_proctored,
            actor_id=actor_id,
            cause=CAUSE_RESUME,
        )
        Attempt.objects.filter(pk=new.pk).update(time_remaining_seconds=old.time_remaining_seconds)
        new.time_remaining_seconds = old.time_remaining_seconds
    log.info("Attempt %s resumed as %s", old.pk, new.pk)
    return new
