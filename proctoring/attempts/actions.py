"""What learners and course staff do to an attempt through the service's interfaces.

Learners act on their own attempt (start, stop, submit, decline, report an error); course
staff give review verdicts and reset attempts. Each action locks its attempt once, checks in
the lifecycle table (statuses.py) what the actor may do from the current status, and hands the
locked attempt to the one transition. The attempt comes back updated, with exam and course.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from proctoring.attempts import statuses
from proctoring.attempts.events import attempt_reset_event
from proctoring.attempts.expiry import attempt_submit_locked, attempt_timed_out_error
from proctoring.attempts.locks import VIEWER_ANNOTATION, attempt_lock
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.onboarding import onboarding_block
from proctoring.attempts.services import attempt_create
from proctoring.attempts.statuses import (
    LEARNER_ACTIONS,
    NOT_STARTED,
    REVIEW_STATUSES,
    STAFF_ACTIONS,
)
from proctoring.attempts.timer import attempt_allowances_loaded, attempt_due_date
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.core.clock import now
from proctoring.core.events import events_record
from proctoring.courses.selectors import course_role_is_member
from proctoring.exams.selectors import exam_get
from proctoring.exceptions import (
    AttemptActionNotAllowed,
    AttemptArchived,
    AttemptDeadlinePassed,
    AttemptNotOwned,
    ExamNotActive,
    ExamPastDue,
    InvalidAttemptStatus,
    NotEnrolled,
    SelfReview,
    StudentExamAttemptDoesNotExistsException,
)

log = logging.getLogger(__name__)

CAUSE_RESET = "reset"
CAUSE_ONBOARDING = "onboarding"
ONBOARDING_STATUSES = frozenset(
    {
        statuses.AttemptStatus.ONBOARDING_MISSING,
        statuses.AttemptStatus.ONBOARDING_PENDING,
        statuses.AttemptStatus.ONBOARDING_FAILED,
        statuses.AttemptStatus.ONBOARDING_EXPIRED,
    }
)
READY_SOURCES = frozenset(
    {statuses.AttemptStatus.CREATED, statuses.AttemptStatus.DOWNLOAD_SOFTWARE_CLICKED}
)


@dataclass(frozen=True)
class AttemptGuard:
    """An interface's own check of the locked attempt before a learner's action (the
    access rules' gates of a start, their browser session), with what it reads loaded by
    the locking statement (``annotations``, and the relations named in ``related``): no
    statement more, and no import of the interface's app here.

    ``deferred`` names fields of those relations the check does not read: the lock leaves
    them out of its statement.

    ``settle``, when given, is called once the action's transaction has ended, with
    whether it committed: what the guard must keep even when the action is refused (the
    log of a refusal at the gates) is written then, outside the rolled-back transaction.
    """

    annotations: Mapping[str, Any]
    check: Callable[[Attempt], None]
    related: tuple[str, ...] = ()
    settle: Callable[[bool], None] | None = None
    deferred: tuple[str, ...] = ()


class ViewerUnconfirmed(Exception):
    """The lock could not confirm that the caller's platform identity owns the attempt (no
    such attempt, an identity unknown, inactive or with other claims, someone else's
    attempt): nothing changed; the caller authenticates the usual way and asks again."""


def attempt_lock_current(
    *,
    attempt_id: int,
    cascading: bool = False,
    with_allowances: bool = False,
    owner_id: int | None = None,
    annotations: Mapping[str, Any] | None = None,
    related: tuple[str, ...] = (),
    deferred: tuple[str, ...] = (),
    authorize: Callable[[Attempt], None] | None = None,
    viewer: tuple[str, str, str] | None = None,
) -> Attempt:
    """The attempt, locked, which must exist, belong to ``owner_id`` when one is given, pass
    ``authorize`` (which raises to refuse) when one is given, and not be archived (checked in
    that order). With a ``viewer`` (a verified token's issuer, subject and claims digest) the
    lock reads that identity's user too, who must own the attempt (``ViewerUnconfirmed``
    else, before any other check)."""
    locked = attempt_lock(
        attempt_id=attempt_id,
        cascading=cascading,
        with_allowances=with_allowances,
        annotations=annotations,
        related=related,
        deferred=deferred,
        viewer=viewer,
    )
    if viewer is not None and (
        locked is None or getattr(locked, VIEWER_ANNOTATION) != locked.user_id
    ):
        raise ViewerUnconfirmed()
    if locked is None:
        raise StudentExamAttemptDoesNotExistsException(f"There is no attempt with id {attempt_id}.")
    if owner_id is not None and locked.user_id != owner_id:
        raise AttemptNotOwned()
    if authorize is not None:
        authorize(locked)
    if locked.archived_at is not None:
        raise AttemptArchived(f"Attempt {attempt_id} was reset; it cannot change any more.")
    return locked


def attempt_create_for_learner(
    *, exam_id: int, user_id: int, taking_as_proctored: bool = False, start: bool = False
) -> Attempt:
    """The learner creates its attempt on an active exam, and may start the clock at once.

    Only the course's members take its exams (``NotEnrolled`` for anyone else; the Python
    API's ``create_exam_attempt`` does not ask, as in the reference). Only a proctored exam
    can be taken as proctored. A proctored attempt of a learner who is not onboarded is
    created in its ``onboarding_*`` status instead (onboarding.py), and not started.
    """
    exam = exam_get(exam_id=exam_id)
    if not course_role_is_member(user_id=user_id, course_id=exam.course_id):
        raise NotEnrolled(
            f"You are not enrolled in {exam.course_id!r}: only its learners (and staff) take "
            f"its exams."
        )
    if not exam.is_active:
        raise ExamNotActive(f"Exam {exam_id} is not active.")
    proctored = taking_as_proctored and exam.is_proctored
    # Asked before the transaction: the provider may be asked, over the network.
    blocked = onboarding_block(exam=exam, user_id=user_id) if proctored else None
    with transaction.atomic():
        attempt = attempt_create(
            exam_id=exam.pk,
            user_id=user_id,
            taking_as_proctored=proctored,
            actor_id=user_id,
            cause="learner:create",
        )
        if blocked is not None:
            # Not onboarded: the attempt is created in its onboarding status, which ends it.
            attempt = attempt_lock_current(attempt_id=attempt.pk)
            move = Move(blocked, actor_id=user_id, cause=CAUSE_ONBOARDING)
            attempts_transition(attempts=[attempt], move=move)
        elif start:
            # The new row is this transaction's own: nobody else can see it, let alone lock it.
            attempt = attempt_lock_current(attempt_id=attempt.pk, with_allowances=True)
            moment = now()
            _refuse_past_due(attempt, moment)  # rolls the creation back too
            move = Move(statuses.AttemptStatus.STARTED, actor_id=user_id, cause="learner:start")
            attempts_transition(attempts=[attempt], move=move, moment=moment)
    return attempt


def _refuse_past_due(attempt: Attempt, moment: datetime) -> None:
    """A learner cannot start an attempt at or after its due date (the learner's extension,
    else the exam's), read from what the lock loaded: ``ExamPastDue``."""
    due = attempt_due_date(attempt=attempt, allowances=attempt_allowances_loaded(attempt))
    if due is not None and due <= moment:
        raise ExamPastDue(
            f"Exam {attempt.exam_id} was due at {due.isoformat()}; it can no longer be started."
        )


def attempt_act(
    *,
    attempt_id: int,
    action: str,
    actor_id: int | None,
    guard: AttemptGuard | None = None,
    viewer: tuple[str, str, str] | None = None,
) -> Attempt:
    """Apply a learner's action (start, stop, submit, decline, error) to its own attempt: the
    attempt is read and locked once, and must be the actor's (``AttemptNotOwned``); then the
    ``guard``'s check, if any, may refuse.

    The actor is ``actor_id``, or, with no id, the ``viewer`` (a verified token's issuer,
    subject and claims digest) whose user the lock reads and confirms as the attempt's
    owner: ``ViewerUnconfirmed`` when it cannot, with nothing changed."""
    if (actor_id is None) == (viewer is None):
        raise ValueError("give an actor_id or a viewer: one of them")
    if action not in LEARNER_ACTIONS:
        raise AttemptActionNotAllowed(f"{action!r} is not an action on an attempt.")
    rule = LEARNER_ACTIONS[action]
    late: AttemptDeadlinePassed | None = None
    committed = False
    try:
        with transaction.atomic():
            attempt = attempt_lock_current(
                attempt_id=attempt_id,
                cascading=statuses.is_a_cascadable_failure(rule.to_status),
                with_allowances=rule.to_status == statuses.AttemptStatus.STARTED,
                owner_id=actor_id,
                annotations=guard.annotations if guard is not None else None,
                related=guard.related if guard is not None else (),
                deferred=guard.deferred if guard is not None else (),
                viewer=viewer,
            )
            actor_id = attempt.user_id  # the owner: the actor, or the confirmed viewer
            if guard is not None:
                guard.check(attempt)
            if rule.to_status == statuses.AttemptStatus.SUBMITTED:
                # Already timed out by its deadline: the answer a late submission gets.
                late = attempt_timed_out_error(attempt=attempt)
            if late is None:
                late = _act_locked(attempt, action, actor_id)
        committed = True
    finally:
        if guard is not None and guard.settle is not None:
            guard.settle(committed)
    if late is not None:
        raise late
    return attempt


def _act_locked(attempt: Attempt, action: str, actor_id: int) -> AttemptDeadlinePassed | None:
    rule = LEARNER_ACTIONS[action]
    if not rule.allows(attempt.status):
        raise AttemptActionNotAllowed(
            f"An attempt that is {attempt.status} cannot {action}: it must be one of "
            f"{', '.join(sorted(rule.sources))}."
        )
    if rule.to_status == statuses.AttemptStatus.SUBMITTED:
        # The clock's rule, under the lock taken above: accepted up to the grace period
        # after the deadline; later, the attempt is timed out, which must commit.
        return attempt_submit_locked(attempt=attempt, actor_id=actor_id)
    moment = now()
    if rule.to_status == statuses.AttemptStatus.STARTED and attempt.status in NOT_STARTED:
        _refuse_past_due(attempt, moment)
    move = Move(rule.to_status, actor_id=actor_id, cause=f"learner:{action}", cascade=True)
    attempts_transition(attempts=[attempt], move=move, moment=moment)
    return None


def attempt_review(
    *,
    attempt_id: int,
    status: str,
    actor_id: int | None,
    authorize: Callable[[Attempt], None] | None = None,
) -> Attempt:
    """Course staff give a completed attempt a verdict: verified, rejected or second review.

    Nobody reviews their own attempt (``SelfReview``), course or global staff alike; a review
    without an actor (the system's) is allowed. ``authorize`` may refuse the locked attempt
    (by raising) before anything changes: the caller's check needs no read of its own.
    """
    target = statuses.parse_status(status)
    if target is None or target not in REVIEW_STATUSES:
        raise InvalidAttemptStatus(
            f"{status!r} is not a review verdict: use one of {', '.join(sorted(REVIEW_STATUSES))}."
        )
    rule = next(rule for rule in STAFF_ACTIONS.values() if rule.to_status == target)
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id, authorize=authorize)
        if actor_id is not None and attempt.user_id == actor_id:
            raise SelfReview(f"Attempt {attempt_id} is your own: another staff member reviews it.")
        if attempt.status not in rule.sources:
            raise AttemptActionNotAllowed(
                f"An attempt that is {attempt.status} cannot be reviewed: it must be one of "
                f"{', '.join(sorted(rule.sources))}."
            )
        move = Move(target, actor_id=actor_id, cause="staff:review", cascade=True, review=True)
        attempts_transition(attempts=[attempt], move=move)
    return attempt


def attempt_reset(*, attempt_id: int, actor_id: int | None) -> Attempt:
    """Archive the attempt with its history so the learner can start over.

    The attempt keeps its rows; an ``attempt.reset`` event tells the platform, and the credit
    service removes the attempt's credit requirement status, as the reference does when an
    attempt is removed.
    """
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id)
        attempt_archive_locked(attempt=attempt, actor_id=actor_id, cause=CAUSE_RESET)
    log.info("Attempt %s reset by %s", attempt_id, actor_id)
    return attempt


def attempt_archive_locked(
    *, attempt: Attempt, actor_id: int | None, cause: str, reason: str = "", tell: bool = True
) -> None:
    """Archive a locked attempt (its status stays; a history row says why). ``tell``: with an
    ``attempt.reset`` event, so the platform clears the attempt (a reset, a retake); a resume
    after an error continues the attempt and tells nothing."""
    moment = now()
    extra = {"event_sequence": F("event_sequence") + 1} if tell else {}
    Attempt.objects.filter(pk=attempt.pk).update(archived_at=moment, modified=moment, **extra)
    attempt.archived_at, attempt.modified = moment, moment
    AttemptHistory.objects.create(
        attempt=attempt,
        from_status=attempt.status,
        to_status=attempt.status,
        changed_at=moment,
        actor_id=actor_id,
        cause=cause,
        reason=reason,
    )
    if tell:
        attempt.event_sequence += 1
        events_record([attempt_reset_event(attempt=attempt, moment=moment, actor_id=actor_id)])


def attempt_mark_ready(*, attempt_id: int, cause: str) -> Attempt:
    """The provider reports the learner ready: ``created`` or ``download_software_clicked``
    becomes ``ready_to_start``; from any other status nothing changes (a repeated or late
    report is harmless), as in the reference."""
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id)
        if attempt.status in READY_SOURCES:
            move = Move(statuses.AttemptStatus.READY_TO_START, cause=cause)
            attempts_transition(attempts=[attempt], move=move)
    return attempt


def attempt_set_onboarding_status(*, attempt_id: int, status: str, cause: str) -> Attempt:
    """The provider answered an attempt's creation with an onboarding status: the attempt,
    not started yet, takes it (the learner must complete onboarding first)."""
    target = statuses.parse_status(status)
    if target is None or target not in ONBOARDING_STATUSES:
        raise InvalidAttemptStatus(f"{status!r} is not an onboarding status.")
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id)
        if attempt.status not in NOT_STARTED:
            raise AttemptActionNotAllowed(
                f"An attempt that is {attempt.status} cannot take an onboarding status."
            )
        attempts_transition(attempts=[attempt], move=Move(target, cause=cause))
    return attempt
