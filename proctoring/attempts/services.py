"""Services that create attempts and change their status.

``attempt_update_status`` is the one function that changes an attempt's status. It follows the
reference's ``update_attempt_status`` rule by rule (see DESIGN.md 2.1), under a row lock, and
writes every change to the attempt's history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from proctoring.attempts import statuses
from proctoring.attempts.budget_services import attempt_clock_at_start
from proctoring.attempts.emails import attempt_status_email_schedule
from proctoring.attempts.models import Attempt, AttemptHistory, new_attempt_code
from proctoring.attempts.statuses import AttemptStatus
from proctoring.core.clock import now
from proctoring.core.ids import as_id
from proctoring.credit.service import CreditUpdate
from proctoring.exams.models import Exam
from proctoring.exams.selectors import exam_get
from proctoring.exceptions import (
    InvalidAttemptStatus,
    ProctoredExamIllegalStatusTransition,
    ProctoredExamNotFoundException,
    StudentExamAttemptAlreadyExistsException,
    StudentExamAttemptDoesNotExistsException,
    UserNotFoundException,
)
from proctoring.providers.settings import default_provider_name, get_proctoring_settings
from proctoring.runtime import get_runtime_service

log = logging.getLogger(__name__)

CREDIT_NAMESPACE = "proctored_exam"
CAUSE_CASCADE = "cascade"


@dataclass
class StatusEffects:
    """What a status change leaves to write in bulk: history rows and credit updates."""

    history: list[AttemptHistory] = field(default_factory=list)
    credit: list[CreditUpdate] = field(default_factory=list)

    def record(
        self,
        *,
        attempt_id: int,
        from_status: str,
        to_status: str,
        moment: datetime,
        actor_id: int | None,
        cause: str,
    ) -> None:
        self.history.append(
            AttemptHistory(
                attempt_id=attempt_id,
                from_status=from_status,
                to_status=to_status,
                changed_at=moment,
                actor_id=actor_id,
                cause=cause,
            )
        )

    def credit_for(self, *, user_id: int, exam: Exam, to_status: str) -> None:
        requirement_status = statuses.credit_requirement_status(to_status)
        if requirement_status is not None:
            self.credit.append(
                CreditUpdate(
                    user_id=user_id,
                    course_key_or_id=exam.course_id,
                    req_namespace=CREDIT_NAMESPACE,
                    req_name=exam.content_id,
                    status=requirement_status,
                )
            )

    def apply(self) -> None:
        if self.history:
            AttemptHistory.objects.bulk_create(self.history)
        _credit_send(self.credit)


def _credit_send(updates: Iterable[CreditUpdate]) -> None:
    updates = list(updates)
    if not updates:
        return
    service = get_runtime_service("credit")
    batch = getattr(service, "set_credit_requirement_statuses", None)
    if callable(batch):
        batch(updates)
        return
    for update in updates:
        log.info(
            "Calling set_credit_requirement_status for user_id %s on %s for content_id %s: %s",
            update.user_id,
            update.course_key_or_id,
            update.req_name,
            update.status,
        )
        service.set_credit_requirement_status(
            user_id=update.user_id,
            course_key_or_id=update.course_key_or_id,
            req_namespace=update.req_namespace,
            req_name=update.req_name,
            status=update.status,
        )


def _next_attempt_number(*, exam_id: int, user_id: int) -> int:
    highest = Attempt.objects.filter(exam_id=exam_id, user_id=user_id).aggregate(
        highest=Max("attempt_number")
    )["highest"]
    return (highest or 0) + 1


def attempt_create(
    *,
    exam_id: Any,
    user_id: Any,
    taking_as_proctored: bool = False,
    actor_id: int | None = None,
    cause: str = "",
) -> Attempt:
    """Create the learner's attempt on the exam; one current attempt per (exam, user)."""
    exam_pk, user_pk = as_id(exam_id), as_id(user_id)
    if exam_pk is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")
    exam = exam_get(exam_id=exam_pk)
    if user_pk is None or not get_user_model().objects.filter(pk=user_pk).exists():
        raise UserNotFoundException(f"There is no user with id {user_id!r}.")
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                exam=exam,
                user_id=user_pk,
                attempt_number=_next_attempt_number(exam_id=exam.pk, user_id=user_pk),
                status=AttemptStatus.CREATED,
                taking_as_proctored=bool(taking_as_proctored),
                is_sample_attempt=exam.is_practice_exam,
            )
            AttemptHistory.objects.create(
                attempt=attempt,
                from_status="",
                to_status=AttemptStatus.CREATED,
                changed_at=attempt.created,
                actor_id=actor_id,
                cause=cause,
            )
    except IntegrityError as exc:
        # The database's unique constraints decide between racing creations.
        raise StudentExamAttemptAlreadyExistsException(
            f"User {user_pk} already has an attempt on exam {exam.pk}."
        ) from exc
    log.info("Created attempt %s of user %s on exam %s", attempt.pk, user_pk, exam.pk)
    return attempt


def timeout_status(*, from_status: str, provider_settings: dict[str, Any]) -> AttemptStatus:
    """The status a time-out gives: ``timed_out`` when the provider's settings allow it (by
    default only while the attempt is still ``created``), else ``submitted``."""
    allowed = provider_settings.get("ALLOW_TIMED_OUT_STATE", from_status == AttemptStatus.CREATED)
    return AttemptStatus.TIMED_OUT if allowed else AttemptStatus.SUBMITTED


def attempts_lock_for_cascade(*, exam_id: int, user_id: int) -> None:
    """Lock, in id order, every current attempt of the learner in the exam's course.

    A decline may cascade to the learner's other attempts of the course; taking all their
    locks up front and in one order keeps two cascading declines from deadlocking.
    """
    course_id = Exam.objects.filter(pk=exam_id).values_list("course_id", flat=True).first()
    if course_id is None:
        return
    list(
        Attempt.objects.select_for_update(of=("self",))
        .filter(user_id=user_id, exam__course_id=course_id, archived_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def attempt_update_status(
    *,
    exam_id: Any,
    user_id: Any,
    to_status: Any,
    raise_if_not_found: bool = True,
    cascade_effects: bool = True,
    actor_id: int | None = None,
    cause: str = "",
    completed_at: datetime | None = None,
) -> int | None:
    """Move the learner's attempt on the exam to ``to_status`` (DESIGN.md 2.1, in order).

    ``completed_at``, when given, is recorded instead of the current time (the expiry job
    records the deadline).
    """
    target = statuses.parse_status(to_status) if isinstance(to_status, str) else None
    if target is None:
        raise InvalidAttemptStatus(f"{to_status!r} is not an attempt status.")
    exam_pk, user_pk = as_id(exam_id), as_id(user_id)
    if exam_pk is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")

    with transaction.atomic():
        cascading = cascade_effects and statuses.is_a_cascadable_failure(target)
        if cascading and user_pk is not None:
            attempts_lock_for_cascade(exam_id=exam_pk, user_id=user_pk)
        attempt = (
            Attempt.objects.select_related("exam__course", "user")
            .select_for_update(of=("self",))
            .filter(exam_id=exam_pk, user_id=user_pk, archived_at__isnull=True)
            .first()
            if user_pk is not None
            else None
        )
        # Rule 1: the exam, then the attempt, must exist.
        if attempt is None:
            if not Exam.objects.filter(pk=exam_pk).exists():
                raise ProctoredExamNotFoundException(f"There is no exam with id {exam_pk}.")
            if raise_if_not_found:
                raise StudentExamAttemptDoesNotExistsException(
                    f"Error. Trying to look up an exam attempt that does not exist "
                    f"(exam_id={exam_pk}, user_id={user_id!r})."
                )
            return None
        exam = attempt.exam
        from_status = attempt.status

        # Rule 2: a time-out counts as a submission unless the provider allows the status.
        if target == AttemptStatus.TIMED_OUT:
            target = timeout_status(
                from_status=from_status,
                provider_settings=get_proctoring_settings(
                    exam.course.provider or default_provider_name()
                ),
            )

        # Rule 3: no way back from a completed status, nor from one to error.
        if not statuses.is_transition_legal(from_status, target):
            raise ProctoredExamIllegalStatusTransition(
                f"A status transition from {from_status} to {target} was attempted on "
                f"exam_id {exam_pk} for user_id {user_pk}. This is not allowed!"
            )

        # Rule 4: the same status again changes nothing.
        if target == from_status:
            log.info("Attempt %s is already %s; nothing to do", attempt.pk, target)
            return attempt.pk

        # Rules 5 and 8: the status, its timestamps, and its history row.
        moment = now()
        changes: dict[str, Any] = {"status": target, "modified": moment}
        if target == AttemptStatus.SUBMITTED:
            changes["completed_at"] = moment
        if completed_at is not None:
            changes["completed_at"] = completed_at
        if target == AttemptStatus.STARTED and attempt.started_at is None:
            changes["started_at"] = moment
            changes.update(attempt_clock_at_start(attempt=attempt, started_at=moment))
        if cascading and target == AttemptStatus.DECLINED:
            changes["taking_as_proctored"] = False
            changes["external_id"] = None
        Attempt.objects.filter(pk=attempt.pk).update(**changes)
        for name, value in changes.items():
            setattr(attempt, name, value)

        effects = StatusEffects()
        effects.record(
            attempt_id=attempt.pk,
            from_status=from_status,
            to_status=target,
            moment=moment,
            actor_id=actor_id,
            cause=cause,
        )
        # Rule 6: credit.
        effects.credit_for(user_id=attempt.user_id, exam=exam, to_status=target)
        # Rule 7: the cascade.
        if cascading:
            _cascade_decline(attempt=attempt, moment=moment, actor_id=actor_id, effects=effects)
        effects.apply()

        # Rule 9: the email, sent once the transaction has committed.
        if (
            attempt.taking_as_proctored
            and not attempt.is_sample_attempt
            and statuses.needs_status_change_email(target)
        ):
            attempt_status_email_schedule(attempt=attempt, status=target)

    log.info(
        "%s - %s: attempt %s on exam %s for user %s: %s -> %s",
        attempt.attempt_code,
        attempt.user.username,
        attempt.pk,
        exam_pk,
        user_pk,
        from_status,
        target,
    )
    # Rule 10.
    return attempt.pk


def _cascade_decline(
    *, attempt: Attempt, moment: datetime, actor_id: int | None, effects: StatusEffects
) -> None:
    """Decline the learner's other active, proctored, non-practice exams of the course.

    Completed attempts stay as they are; a missing attempt is created (not proctored) and
    declined at once. Each cascaded change is what ``attempt_update_status(...,
    cascade_effects=False)`` would do, done for all exams in a fixed number of queries.
    """
    exam = attempt.exam
    others = {
        other.pk: other
        for other in Exam.objects.filter(
            course_id=exam.course_id, is_active=True, is_proctored=True, is_practice_exam=False
        )
        .exclude(content_id=exam.content_id)
        .only("id", "course_id", "content_id", "is_practice_exam")
    }
    if not others:
        return
    user_id = attempt.user_id
    highest: dict[int, int] = {}
    current: dict[int, Attempt] = {}
    for row in (
        Attempt.objects.select_for_update()
        .filter(user_id=user_id, exam_id__in=others)
        .only("id", "exam_id", "user_id", "status", "attempt_number", "archived_at")
    ):
        highest[row.exam_id] = max(highest.get(row.exam_id, 0), row.attempt_number)
        if row.archived_at is None:
            current[row.exam_id] = row

    missing = [exam_id for exam_id in others if exam_id not in current]
    if missing:
        codes = {exam_id: new_attempt_code() for exam_id in missing}
        Attempt.objects.bulk_create(
            [
                Attempt(
                    exam_id=exam_id,
                    user_id=user_id,
                    attempt_number=highest.get(exam_id, 0) + 1,
                    status=AttemptStatus.CREATED,
                    taking_as_proctored=False,
                    is_sample_attempt=others[exam_id].is_practice_exam,
                    attempt_code=codes[exam_id],
                )
                for exam_id in missing
            ],
            ignore_conflicts=True,  # an attempt created meanwhile is declined below instead
        )
        for row in (
            Attempt.objects.select_for_update()
            .filter(user_id=user_id, exam_id__in=missing, archived_at__isnull=True)
            .only("id", "exam_id", "user_id", "status", "attempt_code")
        ):
            current[row.exam_id] = row
            if row.attempt_code == codes[row.exam_id]:  # ours, not one created meanwhile
                effects.record(
                    attempt_id=row.pk,
                    from_status="",
                    to_status=AttemptStatus.CREATED,
                    moment=moment,
                    actor_id=actor_id,
                    cause=CAUSE_CASCADE,
                )

    to_decline = [row for row in current.values() if not statuses.is_completed_status(row.status)]
    attempts_move(
        attempts=sorted(to_decline, key=lambda row: row.pk),
        to_status=AttemptStatus.DECLINED,
        exams=others,
        moment=moment,
        actor_id=actor_id,
        cause=CAUSE_CASCADE,
        effects=effects,
    )


def attempts_move(
    *,
    attempts: Sequence[Attempt],
    to_status: AttemptStatus,
    exams: Mapping[int, Exam],
    moment: datetime,
    actor_id: int | None,
    cause: str,
    effects: StatusEffects,
    completed_at_deadline: bool = False,
) -> None:
    """Rules 5, 6 and 8 for many attempts at once, all to one status, in one ``UPDATE``.

    For attempts the caller has locked and whose move it has checked (legal, to a status they
    do not have, not a first start): the cascade's declines and the expiry job's time-outs.
    Their history rows and credit updates go to ``effects``, written by ``effects.apply()``.
    ``completed_at_deadline`` records each attempt's deadline as its ``completed_at``.
    """
    if not attempts:
        return
    changes: dict[str, Any] = {"status": to_status, "modified": moment}
    if to_status == AttemptStatus.SUBMITTED:
        changes["completed_at"] = moment
    if completed_at_deadline:
        changes["completed_at"] = F("deadline_at")
    Attempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).update(**changes)
    for attempt in attempts:
        effects.record(
            attempt_id=attempt.pk,
            from_status=attempt.status,
            to_status=to_status,
            moment=moment,
            actor_id=actor_id,
            cause=cause,
        )
        effects.credit_for(
            user_id=attempt.user_id, exam=exams[attempt.exam_id], to_status=to_status
        )
