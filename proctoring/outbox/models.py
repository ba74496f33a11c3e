"""The outbox: events written with the changes they describe, the subscriptions that receive
them, and the log of every delivery attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Event(models.Model):
    """One event, written in the transaction of the change it describes.

    .. pii: the payload names user ids.
    """

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField()
    course_id = models.CharField(max_length=255, db_index=True)
    attempt_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)  # per attempt
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} {self.type} ({self.event_id})"


class Subscription(models.Model):
    """A receiver of events: a platform's webhook, or one of the service's own consumers
    (``credit``, ``email``). It receives the events after ``cursor``, in order, one at a time.

    .. no_pii:
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        INTERNAL = "internal", "Internal consumer"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.WEBHOOK)
    name = models.CharField(max_length=100)  # the consumer's name, or a label for a webhook
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    url = models.URLField(max_length=2000, blank=True)
    event_types = models.JSONField(default=list, blank=True)  # empty: every type
    active = models.BooleanField(default=True)  # False: removed (kept for its log)
    paused = models.BooleanField(default=False)
    secret = models.CharField(max_length=100, blank=True)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # The last event delivered (or given up on): the next delivery starts after it. None: a
    # new subscription, which starts at the first event it finds.
    cursor = models.BigIntegerField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # consecutive failures of the head event
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(kind="internal"), name="one_internal_consumer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} -> {self.url or '(in process)'}"


class Delivery(models.Model):
    """One attempt at delivering one event to one subscription.

    .. no_pii:
    """

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        DEAD = "dead", "Given up (dead letter)"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    attempted_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subscription", "outcome"], name="delivery_sub_outcome")]

    def __str__(self) -> str:
        return f"event {self.event_id} -> {self.subscription_id}: {self.outcome}"
