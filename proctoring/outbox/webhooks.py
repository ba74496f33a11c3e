"""Webhook messages: Standard Webhooks signatures, target checks, and the HTTP client.

Each event is POSTed alone as JSON to the subscription's URL, with the headers
``webhook-id`` (the event id: receivers deduplicate on it), ``webhook-timestamp`` and
``webhook-signature``, signed with the ``standardwebhooks`` library. During a secret rotation
the message carries both signatures (new secret first), so a receiver verifies with either.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from proctoring.exceptions import InvalidWebhookTarget
from proctoring.outbox.models import Event, Subscription

SECRET_PREFIX = "whsec_"


def secret_new() -> str:
    """A fresh signing secret in the Standard Webhooks format (``whsec_`` + base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def event_body(event: Event) -> dict[str, Any]:
    """What a receiver gets: the envelope and the event's payload (docs/events.md)."""
    return {
        "id": str(event.event_id),
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "course_id": event.course_id,
        "attempt_id": event.attempt_id,
        "sequence": event.sequence,
        "data": event.payload,
    }


def signature_headers(
    *,
    subscription: Subscription,
    message_id: str,
    body: str,
    moment: datetime,
    rotation_moment: datetime | None = None,
) -> dict[str, str]:
    """The Standard Webhooks headers, signed at ``moment``; the previous secret signs too while
    ``rotation_moment`` (the service's clock) is within the rotation's overlap."""
    secrets_in_force = [subscription.secret]
    until = subscription.previous_secret_until
    within = (rotation_moment or moment) < until if until is not None else False
    if subscription.previous_secret and within:
        secrets_in_force.append(subscription.previous_secret)
    signatures = [
        Webhook(secret).sign(msg_id=message_id, timestamp=moment.astimezone(UTC), data=body)
        for secret in secrets_in_force
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "proctoring-webhooks/1",
    }


def webhook_target_check(url: str) -> None:
    """Refuse a URL that is not http(s), or whose host is (or resolves to) a private,
    loopback, link-local or reserved address, unless ``PROCTORING_WEBHOOKS_ALLOW_PRIVATE``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookTarget("The webhook URL must be an http or https URL with a host.")
    if settings.PROCTORING_WEBHOOKS_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidWebhookTarget(
            f"The webhook host {parts.hostname!r} does not resolve."
        ) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise InvalidWebhookTarget(
                f"The webhook host {parts.hostname!r} is a private or local address ({address}); "
                "set PROCTORING_WEBHOOKS_ALLOW_PRIVATE to allow it."
            )


@dataclass(frozen=True)
class Sent:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int


class WebhookSender:
    """Posts events with one keep-alive client per delivery pass."""

    def __init__(self) -> None:
        self.client = httpx.Client(
            timeout=settings.PROCTORING_WEBHOOKS_TIMEOUT_SECONDS, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def send(self, *, subscription: Subscription, event: Event, moment: datetime) -> Sent:
        body = json.dumps(event_body(event), separators=(",", ":"), sort_keys=True)
        # The wire's timestamp is the wall clock's: receivers check it against theirs.
        started = datetime.now(UTC)
        headers = signature_headers(
            subscription=subscription,
            message_id=str(event.event_id),
            body=body,
            moment=started,
            rotation_moment=moment,
        )
        try:
            response = self.client.post(subscription.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Sent(False, None, f"{type(exc).__name__}: {exc}"[:1000], _ms(started))
        ok = 200 <= response.status_code < 300
        error = "" if ok else f"HTTP {response.status_code}: {response.text[:200]}"
        return Sent(ok, response.status_code, error, _ms(started))


def _ms(started: datetime) -> int:
    return int((datetime.now(UTC) - started).total_seconds() * 1000)
