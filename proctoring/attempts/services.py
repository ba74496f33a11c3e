"""Services that create attempts and change their status.

``attempt_update_status`` is the reference's ``update_attempt_status`` (DESIGN.md 2.1): find
the learner's attempt, lock it, and hand it to the one transition (transition.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction

from proctoring.attempts import statuses
from proctoring.attempts.create_sql import attempt_insert_created, exam_with_next_number
from proctoring.attempts.locks import attempt_lock
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import NOT_STARTED, AttemptStatus
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.core.clock import now
from proctoring.core.ids import as_id
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_get
from proctoring.exceptions import (
    InvalidAttemptStatus,
    ProctoredExamNotFoundException,
    StudentExamAttemptAlreadyExistsException,
    StudentExamAttemptDoesNotExistsException,
    UserNotFoundException,
)

log = logging.getLogger(__name__)


def _exam_and_next_number(*, exam_id: int, user_id: int) -> tuple[Exam, int]:
    """The exam, and the learner's next attempt number on it, in one statement (the user's
    existence too): ``ProctoredExamNotFoundException``, then ``UserNotFoundException``."""
    found = exam_with_next_number(exam_id=exam_id, user_id=user_id)
    if found is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id}.")
    exam, user_exists, highest_number = found
    if not user_exists:
        raise UserNotFoundException(f"There is no user with id {user_id!r}.")
    return exam, (highest_number or 0) + 1


def attempt_create(
    *,
    exam_id: Any,
    user_id: Any,
    taking_as_proctored: bool = False,
    actor_id: int | None = None,
    cause: str = "",
) -> Attempt:
    """Create the learner's attempt on the exam; one current attempt per (exam, user).

    The exam with the user's existence and its next attempt number, then the attempt with its
    history row: two statements on PostgreSQL (create_sql.py), three elsewhere."""
    exam_pk, user_pk = as_id(exam_id), as_id(user_id)
    if exam_pk is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")
    if user_pk is None:
        exam_get(exam_id=exam_pk)  # an unknown exam is told first
        raise UserNotFoundException(f"There is no user with id {user_id!r}.")
    exam, number = _exam_and_next_number(exam_id=exam_pk, user_id=user_pk)
    attempt = Attempt(
        exam=exam,
        user_id=user_pk,
        attempt_number=number,
        status=AttemptStatus.CREATED,
        taking_as_proctored=bool(taking_as_proctored),
        is_sample_attempt=exam.is_practice_exam,
    )
    try:
        attempt_insert_created(attempt, actor_id=actor_id, cause=cause)
    except IntegrityError as exc:
        # The database's unique constraints decide between racing creations.
        raise StudentExamAttemptAlreadyExistsException(
            f"User {user_pk} already has an attempt on exam {exam.pk}."
        ) from exc
    log.info("Created attempt %s of user %s on exam %s", attempt.pk, user_pk, exam.pk)
    return attempt


def attempt_update_status(
    *,
    exam_id: Any,
    user_id: Any,
    to_status: Any,
    raise_if_not_found: bool = True,
    cascade_effects: bool = True,
    actor_id: int | None = None,
    cause: str = "",
) -> int | None:
    """Move the learner's attempt on the exam to ``to_status``: find, lock, transition.

    Rule 1: an unknown exam raises ``ProctoredExamNotFoundException``; a missing attempt raises
    ``StudentExamAttemptDoesNotExistsException``, or returns None when ``raise_if_not_found``
    is False. Rules 2 to 9 are the transition's. Rule 10: the attempt id is returned.
    """
    target = statuses.parse_status(to_status) if isinstance(to_status, str) else None
    if target is None:
        raise InvalidAttemptStatus(f"{to_status!r} is not an attempt status.")
    exam_pk, user_pk = as_id(exam_id), as_id(user_id)
    if exam_pk is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")
    cascading = cascade_effects and statuses.is_a_cascadable_failure(target)
    with transaction.atomic():
        attempt = (
            attempt_lock(
                exam_id=exam_pk,
                user_id=user_pk,
                cascading=cascading,
                with_allowances=target == AttemptStatus.STARTED,
            )
            if user_pk is not None
            else None
        )
        if attempt is None:
            if not Exam.objects.filter(pk=exam_pk).exists():
                raise ProctoredExamNotFoundException(f"There is no exam with id {exam_pk}.")
            if raise_if_not_found:
                raise StudentExamAttemptDoesNotExistsException(
                    f"Error. Trying to look up an exam attempt that does not exist "
                    f"(exam_id={exam_pk}, user_id={user_id!r})."
                )
            return None
        move = Move(target, actor_id=actor_id, cause=cause, cascade=cascade_effects)
        attempts_transition(attempts=[attempt], move=move)
    return attempt.pk


def attempt_set_external_id(*, attempt_id: int, external_id: str) -> bool:
    """Record the provider's id of the attempt's proctoring session; False when the attempt
    is gone, archived or already past its start (a decline clears the id: it stays cleared).

    Not a status change: one guarded ``UPDATE``, no lock held while the provider was asked.
    """
    return bool(
        Attempt.objects.filter(
            pk=attempt_id, archived_at__isnull=True, status__in=sorted(NOT_STARTED)
        ).update(external_id=external_id, modified=now())
    )
