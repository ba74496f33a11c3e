"""Webhook subscriptions: create, pause, resume, rotate the secret, replay, remove; and a dead
letter delivered again."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q

from proctoring.core.clock import now
from proctoring.core.events import EVENT_TYPES
from proctoring.exceptions import InvalidWebhookTarget, SubscriptionNotFound
from proctoring.outbox.models import Delivery, Event, Subscription
from proctoring.outbox.webhooks import WebhookSender, secret_new, webhook_target_check

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewSubscription:
    """A subscription just made, with its secret: shown this once, never again."""

    subscription: Subscription
    secret: str


def _check_types(event_types: Sequence[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidWebhookTarget(
            f"Unknown event types: {', '.join(unknown)}; use some of {', '.join(EVENT_TYPES)}."
        )
    return sorted(set(event_types))


def subscription_create(
    *, url: str, name: str = "", event_types: Sequence[str] = (), owner_id: int | None = None
) -> NewSubscription:
    """Subscribe a URL to events from now on (all types when none is named)."""
    webhook_target_check(url)
    types = _check_types(event_types)
    secret = secret_new()
    last = Event.objects.aggregate(last=Max("id"))["last"]
    subscription = Subscription.objects.create(
        kind=Subscription.Kind.WEBHOOK,
        name=name or url,
        url=url,
        event_types=types,
        owner_id=owner_id,
        secret=secret,
        cursor=last or 0,
    )
    log.info("Webhook subscription %s created for %s", subscription.pk, url)
    return NewSubscription(subscription, secret)


def subscription_get(*, subscription_id: int, owner_id: int | None = None) -> Subscription:
    """An active webhook subscription; with ``owner_id``, only one of that owner's."""
    found = Subscription.objects.filter(
        pk=subscription_id, kind=Subscription.Kind.WEBHOOK, active=True
    )
    if owner_id is not None:
        found = found.filter(owner_id=owner_id)
    subscription = found.first()
    if subscription is None:
        raise SubscriptionNotFound(f"There is no webhook subscription {subscription_id}.")
    return subscription


def subscription_list(*, owner_id: int | None = None) -> list[Subscription]:
    found = Subscription.objects.filter(kind=Subscription.Kind.WEBHOOK, active=True)
    if owner_id is not None:
        found = found.filter(owner_id=owner_id)
    return list(found.order_by("id"))


def subscription_set_paused(*, subscription: Subscription, paused: bool) -> Subscription:
    subscription.paused = paused
    if not paused:
        subscription.next_attempt_at = None
    Subscription.objects.filter(pk=subscription.pk).update(
        paused=paused, next_attempt_at=subscription.next_attempt_at
    )
    return subscription


def subscription_remove(*, subscription: Subscription) -> None:
    """Stop deliveries; the subscription and its log stay for the record."""
    Subscription.objects.filter(pk=subscription.pk).update(active=False)


def subscription_rotate_secret(*, subscription: Subscription) -> NewSubscription:
    """A new secret signs from now on; the old one signs too during the overlap."""
    moment = now()
    overlap = timedelta(seconds=settings.PROCTORING_WEBHOOKS_ROTATION_OVERLAP_SECONDS)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = moment + overlap
    subscription.secret = secret_new()
    Subscription.objects.filter(pk=subscription.pk).update(
        secret=subscription.secret,
        previous_secret=subscription.previous_secret,
        previous_secret_until=subscription.previous_secret_until,
    )
    return NewSubscription(subscription, subscription.secret)


def subscription_replay(*, subscription: Subscription, since: datetime) -> int:
    """Deliver again every event that occurred at or after ``since``; returns how many."""
    first = (
        Event.objects.filter(occurred_at__gte=since).order_by("id").values_list("id", flat=True)
    ).first()
    if first is None:
        return 0
    subscription.cursor = first - 1
    Subscription.objects.filter(pk=subscription.pk).update(
        cursor=subscription.cursor, failures=0, next_attempt_at=None
    )
    return Event.objects.filter(id__gte=first).count()


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Send a dead letter's event to its subscription once more, now."""
    subscription = delivery.subscription
    sender = WebhookSender()
    try:
        moment = now()
        sent = sender.send(subscription=subscription, event=delivery.event, moment=moment)
    finally:
        sender.close()
    return Delivery.objects.create(
        subscription=subscription,
        event=delivery.event,
        attempted_at=moment,
        outcome=Delivery.Outcome.DELIVERED if sent.ok else Delivery.Outcome.DEAD,
        status_code=sent.status_code,
        error=sent.error,
        duration_ms=sent.duration_ms,
    )


@dataclass(frozen=True)
class Backlog:
    """What the delivery has left: per active subscription, events after its cursor."""

    undelivered: int
    oldest_undelivered_at: datetime | None


def outbox_backlog() -> Backlog:
    """Counted from the subscription furthest behind (paused ones included), in two queries."""
    subscriptions = Subscription.objects.filter(active=True).aggregate(
        count=Count("id"), new=Count("id", filter=Q(cursor__isnull=True)), lowest=Min("cursor")
    )
    if not subscriptions["count"]:
        return Backlog(0, None)
    pending = Event.objects.all()
    if not subscriptions["new"]:  # a new one has every event ahead of it
        pending = pending.filter(id__gt=subscriptions["lowest"])
    found = pending.aggregate(count=Count("id"), oldest=Min("occurred_at"))
    return Backlog(found["count"], found["oldest"])
