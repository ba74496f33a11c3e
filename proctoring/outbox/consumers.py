"""The service's own consumers of its events, delivered through the outbox like webhooks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from proctoring.attempts.effects import (
    CREDIT_EVENT_TYPES,
    EMAIL_EVENT_TYPES,
    credit_consume,
    emails_consume,
)
from proctoring.core.events import DomainEvent
from proctoring.providers.consumers import PROVIDER_EVENT_TYPES, providers_consume
from proctoring.reviews.staff_emails import STAFF_EMAIL_EVENT_TYPES, staff_attention_consume


@dataclass(frozen=True)
class Consumer:
    event_types: tuple[str, ...]
    consume: Callable[[Sequence[DomainEvent]], None]


# Each has a Subscription row of kind "internal" with its name (created by a migration).
INTERNAL_CONSUMERS: dict[str, Consumer] = {
    "credit": Consumer(CREDIT_EVENT_TYPES, credit_consume),
    "email": Consumer(EMAIL_EVENT_TYPES, emails_consume),
    "staff_email": Consumer(STAFF_EMAIL_EVENT_TYPES, staff_attention_consume),
    # Proctoring providers hear of exams and attempts (proctoring/providers/consumers.py).
    "providers": Consumer(PROVIDER_EVENT_TYPES, providers_consume),
}
