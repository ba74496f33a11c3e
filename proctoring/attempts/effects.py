"""What the platform and the learner hear of attempt changes: the credit service and the status
emails, as consumers of the events the transition records (proctoring/attempts/events.py).

The outbox delivers the events to them after the commit, in order, from the database (a crash
between the commit and the delivery loses nothing): these functions only say what each event
means for credit and email. No external call happens inside a status transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db.models import Max

from proctoring.attempts.emails import StatusEmail, attempt_status_email_send
from proctoring.attempts.models import Attempt
from proctoring.core.events import ATTEMPT_RESET, ATTEMPT_STATUS_CHANGED, DomainEvent
from proctoring.credit.ports import (
    CREDIT_NAMESPACE,
    BatchCreditService,
    CreditUpdate,
)
from proctoring.runtime import credit_service

log = logging.getLogger(__name__)

CREDIT_EVENT_TYPES = (ATTEMPT_STATUS_CHANGED, ATTEMPT_RESET)
EMAIL_EVENT_TYPES = (ATTEMPT_STATUS_CHANGED,)


def latest_attempt_numbers(events: Sequence[DomainEvent]) -> dict[tuple[int, int], int]:
    """The number of each learner's latest attempt on the exams the events are about, as it
    is now (one statement): an event of an older attempt is history, not the learner's state."""
    exam_ids = {event.payload["exam_id"] for event in events}
    user_ids = {event.payload["user_id"] for event in events}
    rows = (
        Attempt.objects.filter(exam_id__in=exam_ids, user_id__in=user_ids)
        .values("exam_id", "user_id")
        .annotate(latest=Max("attempt_number"))
    )
    return {(row["exam_id"], row["user_id"]): row["latest"] for row in rows}


def _of_an_older_attempt(event: DomainEvent, latest: dict[tuple[int, int], int]) -> bool:
    data = event.payload
    number = latest.get((data["exam_id"], data["user_id"]), 0)
    return bool(data.get("attempt_number", number) < number)


def credit_consume(events: Sequence[DomainEvent]) -> None:
    """Rule 6: tell the credit service of the requirement statuses the events set (one call
    for all of them when it takes a batch), and remove those of reset attempts. A failure
    raises: the outbox delivers the events again later.

    Credit follows the learner's latest attempt: a status change of an older attempt (one
    reset, retaken or resumed since) changes nothing, and the calls keep the events' order, so
    a reset followed by the next attempt's submission leaves the submission, whatever the
    batch.
    """
    wanted = [
        event
        for event in events
        if event.type == ATTEMPT_RESET
        or (event.type == ATTEMPT_STATUS_CHANGED and event.payload.get("credit_requirement_status"))
    ]
    if not wanted:
        return
    latest = latest_attempt_numbers(wanted)
    updates: list[CreditUpdate] = []
    for event in wanted:
        data = event.payload
        if event.type == ATTEMPT_RESET:
            _credit_send(updates)  # those before the reset first, in their order
            updates = []
            credit_service().remove_credit_requirement_status(
                user_id=data["user_id"],
                course_key_or_id=data["course_id"],
                req_namespace=CREDIT_NAMESPACE,
                req_name=data["content_id"],
            )
        elif not _of_an_older_attempt(event, latest):
            updates.append(
                CreditUpdate(
                    user_id=data["user_id"],
                    course_key_or_id=data["course_id"],
                    req_namespace=CREDIT_NAMESPACE,
                    req_name=data["content_id"],
                    status=data["credit_requirement_status"],
                    changed_at=event.occurred_at,
                )
            )
    _credit_send(updates)


def _credit_send(updates: list[CreditUpdate]) -> None:
    if not updates:
        return
    service = credit_service()
    if isinstance(service, BatchCreditService):
        service.set_credit_requirement_statuses(updates)
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


def emails_consume(events: Sequence[DomainEvent]) -> None:
    """Rule 9: email the learner of each change the event marks for it, to the address the
    learner has now. A message that fails is logged, not sent twice."""
    wanted = [
        event
        for event in events
        if event.type == ATTEMPT_STATUS_CHANGED and event.payload.get("learner_email")
    ]
    if not wanted:
        return
    # The learner hears of its latest attempt only, not of one reset or retaken since.
    latest = latest_attempt_numbers(wanted)
    wanted = [event for event in wanted if not _of_an_older_attempt(event, latest)]
    if not wanted:
        return
    attempts = Attempt.objects.select_related("exam", "user").in_bulk(
        [event.payload["attempt_id"] for event in wanted]
    )
    for event in wanted:
        attempt = attempts.get(event.payload["attempt_id"])
        if attempt is None:
            continue
        message = StatusEmail(
            attempt_id=attempt.pk,
            user_id=attempt.user_id,
            username=attempt.user.username,
            email=attempt.user.email,
            course_id=attempt.exam.course_id,
            exam_name=attempt.exam.exam_name,
            status=event.payload["to_status"],
        )
        try:
            attempt_status_email_send(message)
        except Exception:
            log.exception("The status email of attempt %s failed", attempt.pk)
