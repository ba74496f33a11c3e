"""Delivering the outbox: each subscription receives the events after its cursor, in id order.

A pass takes each due subscription under a lease (an ``UPDATE`` that only one worker wins, so
several workers never deliver to one subscription at once), then delivers its next events one
after the other: a webhook gets one POST per event, an internal consumer (credit, email) a
batch. Success moves the cursor. A failure stops the subscription at that event and schedules
the next try with exponential backoff and jitter; an event still failing ``MAX_AGE`` after it
occurred is given up (a dead letter in the delivery log) and the cursor moves past it. Order is
kept per subscription, so per attempt too.

Event ids come from the database in the order transactions inserted them, not the order they
committed: an id missing after the cursor may belong to a transaction still running. The
delivery waits for such a gap to fill, until the first event after it is ``GAP_SECONDS`` old:
the missing id was drawn before that event was written, so its transaction has had that long
to commit, and is taken as rolled back (PostgreSQL's sequences do not roll back).
"""

from __future__ import annotations

import logging
import random
import traceback
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from proctoring.core.clock import now
from proctoring.core.events import DomainEvent
from proctoring.outbox.consumers import INTERNAL_CONSUMERS
from proctoring.outbox.models import Delivery, Event, Subscription
from proctoring.outbox.webhooks import WebhookSender

log = logging.getLogger(__name__)


def backoff_seconds(failures: int) -> float:
    """Exponential backoff with full jitter: up to base * 2^(failures-1), capped."""
    ceiling = min(
        settings.PROCTORING_OUTBOX_BACKOFF_MAX_SECONDS,
        settings.PROCTORING_OUTBOX_BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1),
    )
    return random.uniform(ceiling / 2, ceiling)


def outbox_deliver(*, moment: datetime | None = None) -> int:
    """One delivery pass over every due subscription; returns how many events were delivered
    (or given up)."""
    moment = moment or now()
    _internal_consumers_ensure()
    due = (
        Subscription.objects.filter(active=True, paused=False)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=moment))
        .values_list("id", flat=True)
    )
    sender: WebhookSender | None = None
    done = 0
    try:
        for subscription_id in list(due):
            subscription = _lease(subscription_id, moment)
            if subscription is None:
                continue
            if subscription.kind == Subscription.Kind.WEBHOOK and sender is None:
                sender = WebhookSender()
            try:
                done += _deliver(subscription, sender)
            finally:
                _release(subscription)
    finally:
        if sender is not None:
            sender.close()
    return done


def _internal_consumers_ensure() -> None:
    """The service's own consumers have their subscription rows (one statement)."""
    Subscription.objects.bulk_create(
        [Subscription(kind=Subscription.Kind.INTERNAL, name=name) for name in INTERNAL_CONSUMERS],
        ignore_conflicts=True,
    )


def _lease(subscription_id: int, moment: datetime) -> Subscription | None:
    token = uuid.uuid4()
    until = moment + timedelta(seconds=settings.PROCTORING_OUTBOX_LEASE_SECONDS)
    won = (
        Subscription.objects.filter(pk=subscription_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=moment))
        .update(lease_until=until, lease_token=token)
    )
    if not won:
        return None  # another worker has it
    return Subscription.objects.filter(pk=subscription_id, lease_token=token).first()


def _lease_renewed(subscription: Subscription, moment: datetime) -> bool:
    """Renew the lease once half of it has gone; False when another worker took it over."""
    lease = timedelta(seconds=settings.PROCTORING_OUTBOX_LEASE_SECONDS)
    if subscription.lease_until is not None and moment < subscription.lease_until - lease / 2:
        return True
    subscription.lease_until = moment + lease
    return bool(
        Subscription.objects.filter(
            pk=subscription.pk, lease_token=subscription.lease_token
        ).update(lease_until=subscription.lease_until)
    )


def _release(subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk, lease_token=subscription.lease_token).update(
        lease_until=None,
        lease_token=None,
        cursor=subscription.cursor,
        failures=subscription.failures,
        next_attempt_at=subscription.next_attempt_at,
    )


def _pending(subscription: Subscription) -> list[Event]:
    """The next events after the cursor, up to the first gap that is still young."""
    # Every type is read (those the subscription does not want count as delivered): they
    # close gaps as well as the wanted ones.
    events = Event.objects.order_by("id")
    if subscription.cursor is not None:
        events = events.filter(id__gt=subscription.cursor)
    rows = list(events[: settings.PROCTORING_OUTBOX_BATCH_SIZE])
    if rows and subscription.cursor is None:
        subscription.cursor = rows[0].id - 1  # a new subscription starts where events are
    settled = now() - timedelta(seconds=settings.PROCTORING_OUTBOX_GAP_SECONDS)
    contiguous: list[Event] = []
    expected = (subscription.cursor or 0) + 1
    for row in rows:
        if row.id != expected:
            if row.occurred_at > settled:
                break  # a transaction may still commit the missing ids: wait
            log.warning(
                "Events %s to %s never committed: taken as rolled back", expected, row.id - 1
            )
        contiguous.append(row)
        expected = row.id + 1
    return contiguous


def _wanted(subscription: Subscription, event: Event) -> bool:
    if subscription.kind == Subscription.Kind.INTERNAL:
        consumer = INTERNAL_CONSUMERS.get(subscription.name)
        return consumer is not None and event.type in consumer.event_types
    return not subscription.event_types or event.type in subscription.event_types


def _deliver(subscription: Subscription, sender: WebhookSender | None) -> int:
    done = 0
    while True:
        events = _pending(subscription)
        if not events:
            return done
        wanted = [event for event in events if _wanted(subscription, event)]
        if subscription.kind == Subscription.Kind.INTERNAL:
            ok = _consume(subscription, wanted)
        else:
            assert sender is not None
            ok = _post_each(subscription, wanted, sender)
        if ok:
            subscription.cursor = events[-1].id
            done += len(wanted)
        else:
            done += _failed(subscription, events)
            return done
        if len(events) < settings.PROCTORING_OUTBOX_BATCH_SIZE:
            return done


def _as_domain_event(event: Event) -> DomainEvent:
    return DomainEvent(
        type=event.type,
        occurred_at=event.occurred_at,
        course_id=event.course_id,
        payload=event.payload,
        attempt_id=event.attempt_id,
        sequence=event.sequence,
    )


def _consume(subscription: Subscription, events: Sequence[Event]) -> bool:
    """An internal consumer takes the batch at once; when the batch fails, the events go one
    at a time, so that those before the failing one are delivered and it alone waits."""
    if not events:
        return True
    consumer = INTERNAL_CONSUMERS[subscription.name]
    try:
        consumer.consume([_as_domain_event(event) for event in events])
    except Exception:
        if len(events) > 1:
            for event in events:
                if not _consume(subscription, [event]):
                    return False
                subscription.cursor = event.id
            return True
        event = events[0]
        log.exception("The %s consumer failed on event %s", subscription.name, event.id)
        error = traceback.format_exc(limit=1)[-1000:]
        _log(subscription, event, Delivery.Outcome.FAILED, error=error)
        subscription.cursor = event.id - 1
        return False
    subscription.failures, subscription.next_attempt_at = 0, None
    return True


def _post_each(subscription: Subscription, events: Sequence[Event], sender: WebhookSender) -> bool:
    """A webhook gets one POST per event; the first failure stops the subscription there."""
    logs: list[Delivery] = []
    try:
        for event in events:
            moment = now()
            if not _lease_renewed(subscription, moment):
                return False
            sent = sender.send(subscription=subscription, event=event, moment=moment)
            outcome = Delivery.Outcome.DELIVERED if sent.ok else Delivery.Outcome.FAILED
            logs.append(
                Delivery(
                    subscription=subscription,
                    event=event,
                    attempted_at=moment,
                    outcome=outcome,
                    status_code=sent.status_code,
                    error=sent.error,
                    duration_ms=sent.duration_ms,
                )
            )
            if not sent.ok:
                subscription.cursor = event.id - 1
                return False
            subscription.cursor = event.id
            subscription.failures, subscription.next_attempt_at = 0, None
        return True
    finally:
        Delivery.objects.bulk_create(logs)


def _failed(subscription: Subscription, events: Sequence[Event]) -> int:
    """The head event failed: retry later with backoff, or give it up once too old."""
    head = next(event for event in events if event.id > (subscription.cursor or 0))
    moment = now()
    age = (moment - head.occurred_at).total_seconds()
    if age >= settings.PROCTORING_OUTBOX_MAX_AGE_SECONDS:
        _log(subscription, head, Delivery.Outcome.DEAD, error="given up: older than max age")
        log.error("Event %s to subscription %s given up", head.event_id, subscription.pk)
        subscription.cursor = head.id
        subscription.failures, subscription.next_attempt_at = 0, None
        return 1
    subscription.failures += 1
    subscription.next_attempt_at = moment + timedelta(
        seconds=backoff_seconds(subscription.failures)
    )
    return 0


def _log(subscription: Subscription, event: Event, outcome: str, *, error: str = "") -> None:
    Delivery.objects.create(
        subscription=subscription, event=event, attempted_at=now(), outcome=outcome, error=error
    )
