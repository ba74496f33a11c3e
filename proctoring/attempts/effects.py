"""What a status change tells the outside: credit updates and status emails.

A transition records its effects while it holds the attempts' locks; they are delivered once
the transaction commits (never for a change rolled back), so no external call happens inside a
status transaction. Delivery runs in the committing process; the outbox issue makes it durable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import transaction

from proctoring.attempts import statuses
from proctoring.attempts.emails import StatusEmail, attempt_status_email_send
from proctoring.attempts.models import Attempt
from proctoring.credit.ports import (
    CREDIT_NAMESPACE,
    BatchCreditService,
    CreditRemoval,
    CreditUpdate,
)
from proctoring.runtime import credit_service

log = logging.getLogger(__name__)


@dataclass
class Effects:
    """The effects of one transaction's status changes, in the order they were recorded."""

    credit: list[CreditUpdate] = field(default_factory=list)
    credit_removals: list[CreditRemoval] = field(default_factory=list)
    emails: list[StatusEmail] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.credit or self.credit_removals or self.emails)

    def status_changed(self, *, attempt: Attempt, to_status: str, moment: datetime) -> None:
        """Rule 6 (credit) and rule 9 (email) of a change of ``attempt`` to ``to_status``.

        The attempt's exam must be loaded, and its user when an email may follow.
        """
        requirement_status = statuses.credit_requirement_status(to_status)
        if requirement_status is not None:
            self.credit.append(
                CreditUpdate(
                    user_id=attempt.user_id,
                    course_key_or_id=attempt.exam.course_id,
                    req_namespace=CREDIT_NAMESPACE,
                    req_name=attempt.exam.content_id,
                    status=requirement_status,
                    changed_at=moment,
                )
            )
        if (
            attempt.taking_as_proctored
            and not attempt.is_sample_attempt
            and statuses.needs_status_change_email(to_status)
        ):
            self.emails.append(
                StatusEmail(
                    attempt_id=attempt.pk,
                    user_id=attempt.user_id,
                    username=attempt.user.username,
                    email=attempt.user.email,
                    course_id=attempt.exam.course_id,
                    exam_name=attempt.exam.exam_name,
                    status=to_status,
                )
            )

    def credit_removed(self, *, attempt: Attempt) -> None:
        """The attempt's credit requirement status goes away (a reset)."""
        self.credit_removals.append(
            CreditRemoval(
                user_id=attempt.user_id,
                course_key_or_id=attempt.exam.course_id,
                req_namespace=CREDIT_NAMESPACE,
                req_name=attempt.exam.content_id,
            )
        )

    def deliver_after_commit(self) -> None:
        """Deliver these effects once the current transaction commits."""
        if self:
            transaction.on_commit(partial(effects_deliver, self), robust=True)


def effects_deliver(effects: Effects) -> None:
    """Tell the credit service, then send the emails; one failure does not stop the others."""
    service = credit_service()
    try:
        if isinstance(service, BatchCreditService) and effects.credit:
            service.set_credit_requirement_statuses(effects.credit)
        else:
            for update in effects.credit:
                log.info(
                    "Calling set_credit_requirement_status for user_id %s on %s for "
                    "content_id %s: %s",
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
        for removal in effects.credit_removals:
            service.remove_credit_requirement_status(
                user_id=removal.user_id,
                course_key_or_id=removal.course_key_or_id,
                req_namespace=removal.req_namespace,
                req_name=removal.req_name,
            )
    except Exception:
        log.exception("The credit service failed; %s updates not delivered", len(effects.credit))
    for message in effects.emails:
        try:
            attempt_status_email_send(message)
        except Exception:
            log.exception("The status email of attempt %s failed", message.attempt_id)
