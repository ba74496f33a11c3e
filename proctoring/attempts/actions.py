"""What learners and course staff do to an attempt through the service's interfaces.

Learners act on their own attempt (start, stop, submit, decline, report an error); course
staff give review verdicts and reset attempts. Each action checks what the actor may do from
the attempt's current status, then changes the status through ``attempt_update_status``.
"""

from __future__ import annotations

import logging

from django.db import transaction

from proctoring.attempts import statuses
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import (
    CREDIT_NAMESPACE,
    attempt_create,
    attempt_update_status,
    attempts_lock_for_cascade,
)
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.timekeeping import attempt_submit_locked
from proctoring.core.clock import now
from proctoring.exams.selectors import exam_get
from proctoring.exceptions import (
    AttemptActionNotAllowed,
    AttemptArchived,
    AttemptDeadlinePassed,
    ExamNotActive,
    InvalidAttemptStatus,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.runtime import get_runtime_service

log = logging.getLogger(__name__)


_St = AttemptStatus
_NOT_STARTED = frozenset({_St.CREATED, _St.DOWNLOAD_SOFTWARE_CLICKED, _St.READY_TO_START})
# What a learner may do to its own attempt: action -> (the status it leads to, from which
# statuses). Asking again for the status the attempt already has is harmless (rule 4).
LEARNER_ACTIONS: dict[str, tuple[AttemptStatus, frozenset[AttemptStatus]]] = {
    "start": (_St.STARTED, _NOT_STARTED),
    "stop": (_St.READY_TO_SUBMIT, frozenset({_St.STARTED})),
    "submit": (_St.SUBMITTED, frozenset({_St.STARTED, _St.READY_TO_SUBMIT})),
    "decline": (_St.DECLINED, _NOT_STARTED),
    "error": (_St.ERROR, _NOT_STARTED | {_St.STARTED, _St.READY_TO_SUBMIT}),
}
# The verdicts course staff give a completed attempt, and the statuses they can be given to.
REVIEW_STATUSES = frozenset({_St.VERIFIED, _St.REJECTED, _St.SECOND_REVIEW_REQUIRED})
REVIEWABLE_STATUSES = frozenset(
    {_St.SUBMITTED, _St.SECOND_REVIEW_REQUIRED, _St.VERIFIED, _St.REJECTED}
)
CAUSE_RESET = "reset"


def _lock_current_attempt(*, attempt_id: int, cascading: bool = False) -> Attempt:
    """The attempt, locked, which must not be archived.

    A cascading change locks the learner's attempts of the course first, in the order
    ``attempt_update_status`` takes them, so that two cascades cannot deadlock.
    """
    if cascading:
        attempt = Attempt.objects.filter(pk=attempt_id).only("exam_id", "user_id").first()
        if attempt is None:
            raise StudentExamAttemptDoesNotExistsException(
                f"There is no attempt with id {attempt_id}."
            )
        attempts_lock_for_cascade(exam_id=attempt.exam_id, user_id=attempt.user_id)
    locked = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("exam")
        .filter(pk=attempt_id)
        .first()
    )
    if locked is None:
        raise StudentExamAttemptDoesNotExistsException(f"There is no attempt with id {attempt_id}.")
    if locked.archived_at is not None:
        raise AttemptArchived(f"Attempt {attempt_id} was reset; it cannot change any more.")
    return locked


def _reload(attempt_id: int) -> Attempt:
    return Attempt.objects.select_related("exam__course").get(pk=attempt_id)


def attempt_create_for_learner(
    *, exam_id: int, user_id: int, taking_as_proctored: bool = False, start: bool = False
) -> Attempt:
    """The learner creates its attempt on an active exam, and may start the clock at once.

    Only a proctored exam can be taken as proctored.
    """
    exam = exam_get(exam_id=exam_id)
    if not exam.is_active:
        raise ExamNotActive(f"Exam {exam_id} is not active.")
    with transaction.atomic():
        attempt = attempt_create(
            exam_id=exam.pk,
            user_id=user_id,
            taking_as_proctored=taking_as_proctored and exam.is_proctored,
            actor_id=user_id,
            cause="learner:create",
        )
        if start:
            attempt_update_status(
                exam_id=exam.pk,
                user_id=user_id,
                to_status=_St.STARTED,
                actor_id=user_id,
                cause="learner:start",
            )
    return _reload(attempt.pk)


def attempt_act(*, attempt_id: int, action: str, actor_id: int) -> Attempt:
    """Apply a learner's action (start, stop, submit, decline, error) to its attempt."""
    if action not in LEARNER_ACTIONS:
        raise AttemptActionNotAllowed(f"{action!r} is not an action on an attempt.")
    target, sources = LEARNER_ACTIONS[action]
    late: AttemptDeadlinePassed | None = None
    with transaction.atomic():
        attempt = _lock_current_attempt(
            attempt_id=attempt_id, cascading=statuses.is_a_cascadable_failure(target)
        )
        if attempt.status != target and attempt.status not in sources:
            raise AttemptActionNotAllowed(
                f"An attempt that is {attempt.status} cannot {action}: it must be one of "
                f"{', '.join(sorted(sources))}."
            )
        if target == _St.SUBMITTED:
            # The clock's rule, under the lock taken above: accepted up to the grace period
            # after the deadline; later, the attempt is timed out, which must commit.
            late = attempt_submit_locked(attempt=attempt, actor_id=actor_id)
        else:
            attempt_update_status(
                exam_id=attempt.exam_id,
                user_id=attempt.user_id,
                to_status=target,
                actor_id=actor_id,
                cause=f"learner:{action}",
            )
    if late is not None:
        raise late
    return _reload(attempt_id)


def attempt_review(*, attempt_id: int, status: str, actor_id: int | None) -> Attempt:
    """Course staff give a completed attempt a verdict: verified, rejected or second review."""
    target = statuses.parse_status(status)
    if target is None or target not in REVIEW_STATUSES:
        raise InvalidAttemptStatus(
            f"{status!r} is not a review verdict: use one of {', '.join(sorted(REVIEW_STATUSES))}."
        )
    with transaction.atomic():
        attempt = _lock_current_attempt(attempt_id=attempt_id)
        if attempt.status not in REVIEWABLE_STATUSES:
            raise AttemptActionNotAllowed(
                f"An attempt that is {attempt.status} cannot be reviewed: it must be one of "
                f"{', '.join(sorted(REVIEWABLE_STATUSES))}."
            )
        attempt_update_status(
            exam_id=attempt.exam_id,
            user_id=attempt.user_id,
            to_status=target,
            actor_id=actor_id,
            cause="staff:review",
        )
    return _reload(attempt_id)


def attempt_reset(*, attempt_id: int, actor_id: int | None) -> Attempt:
    """Archive the attempt with its history so the learner can start over.

    The attempt keeps its rows; its credit requirement status is removed, as the reference
    does when an attempt is removed.
    """
    with transaction.atomic():
        attempt = _lock_current_attempt(attempt_id=attempt_id)
        moment = now()
        Attempt.objects.filter(pk=attempt.pk).update(archived_at=moment, modified=moment)
        AttemptHistory.objects.create(
            attempt=attempt,
            from_status=attempt.status,
            to_status=attempt.status,
            changed_at=moment,
            actor_id=actor_id,
            cause=CAUSE_RESET,
        )
        service = get_runtime_service("credit")
        remove = getattr(service, "remove_credit_requirement_status", None)
        if callable(remove):
            remove(
                user_id=attempt.user_id,
                course_key_or_id=attempt.exam.course_id,
                req_namespace=CREDIT_NAMESPACE,
                req_name=attempt.exam.content_id,
            )
    log.info("Attempt %s reset by %s", attempt_id, actor_id)
    return _reload(attempt_id)
