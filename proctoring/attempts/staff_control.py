"""Course staff and administrators in control of an attempt: ending a running attempt now,
and setting any status by hand. Both through the one transition, with a reason kept in the
attempt's history (``AttemptHistory.reason``), so "who ended my exam, and why?" has an answer.
"""

from __future__ import annotations

import logging

from django.db import transaction

from proctoring.attempts.actions import attempt_lock_current
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import STAFF_CONTROL, parse_status
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.exceptions import AttemptActionNotAllowed, InvalidAttemptStatus, ReasonRequired

log = logging.getLogger(__name__)

CAUSE_STAFF_END = "staff:end"
CAUSE_ADMIN_SET_STATUS = "admin:set_status"
MAX_REASON_LENGTH = 1000


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise ReasonRequired()
    return cleaned[:MAX_REASON_LENGTH]


def attempt_end_by_staff(*, attempt_id: int, actor_id: int | None, reason: str) -> Attempt:
    """Course staff end a running attempt now: it is submitted, whatever time it had left.

    ``ReasonRequired`` without a reason; ``AttemptActionNotAllowed`` unless the attempt runs.
    """
    why = _reason(reason)
    rule = STAFF_CONTROL["end"]
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id)
        if attempt.status not in rule.sources:
            raise AttemptActionNotAllowed(
                f"An attempt that is {attempt.status} cannot be ended: it must be one of "
                f"{', '.join(sorted(rule.sources))}."
            )
        move = Move(rule.to_status, actor_id=actor_id, cause=CAUSE_STAFF_END, reason=why)
        attempts_transition(attempts=[attempt], move=move)
    log.info("Attempt %s ended by staff %s: %s", attempt_id, actor_id, why)
    return attempt


def attempt_set_status(
    *, attempt_id: int, to_status: str, actor_id: int | None, reason: str
) -> Attempt:
    """An administrator sets a current attempt's status: any status, with a reason; the
    lifecycle's legality rules still apply (``ProctoredExamIllegalStatusTransition``). No
    cascade: the administrator changes this attempt, and only it."""
    target = parse_status(to_status)
    if target is None:
        raise InvalidAttemptStatus(f"{to_status!r} is not an attempt status.")
    why = _reason(reason)
    with transaction.atomic():
        attempt = attempt_lock_current(attempt_id=attempt_id)
        move = Move(target, actor_id=actor_id, cause=CAUSE_ADMIN_SET_STATUS, reason=why)
        attempts_transition(attempts=[attempt], move=move)
    log.info("Attempt %s set to %s by %s: %s", attempt_id, target, actor_id, why)
    return attempt
