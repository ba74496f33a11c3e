"""Callbacks from providers: who is calling, whether the message is new, which attempt it is
about, and what ``ready`` does. (The review callback hands the review to the reviews app.)

A provider authenticates its callbacks in one of two ways (docs/providers.md):

- a Standard Webhooks signature (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``)
  with the alias's ``WEBHOOK_SECRET``; the timestamp must be within five minutes of our clock,
  and a message id is accepted once (kept in the database: a replay is refused);
- an API key of a service account that the alias's ``SERVICE_ACCOUNTS`` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.core.clock import now
from proctoring.exams.selectors import exam_provider_name
from proctoring.exceptions import (
    CallbackReplayed,
    CallbackUnauthenticated,
    ReviewProviderMismatch,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.providers.models import CallbackMessage
from proctoring.providers.registry import provider_aliases, provider_option

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# Message ids are kept this long: well past the five minutes a timestamp is accepted for.
MESSAGE_KEEP = timedelta(hours=1)


@dataclass(frozen=True)
class ProviderCaller:
    """``request.auth`` of a provider's callback: the alias it speaks for, and the message id
    of a signed message (None for an API key)."""

    alias: str
    message_id: str | None = None


def callback_signed(headers: Mapping[str, str]) -> bool:
    return any(headers.get(name) for name in SIGNATURE_HEADERS)


def callback_verify(
    *, headers: Mapping[str, str], body: bytes, alias: str | None = None
) -> ProviderCaller:
    """The provider whose secret signed this message (``alias``'s when named, else any
    configured one's); ``CallbackUnauthenticated`` when none did or the message is too old."""
    wanted = {name: headers.get(name, "") for name in SIGNATURE_HEADERS}
    if not all(wanted.values()):
        raise CallbackUnauthenticated(
            "A signed callback needs the webhook-id, webhook-timestamp and webhook-signature "
            "headers."
        )
    candidates = [alias] if alias else provider_aliases()
    for candidate in candidates:
        secret = provider_option(candidate, "WEBHOOK_SECRET")
        if not secret:
            continue
        try:
            Webhook(str(secret)).verify(body, wanted)
        except WebhookVerificationError as exc:
            if "timestamp" in str(exc):
                raise CallbackUnauthenticated(
                    "The callback's timestamp is more than five minutes away from our clock: "
                    "it has expired (or the clocks disagree).",
                    code="callback_expired",
                ) from exc
            continue
        except (ValueError, RecursionError):
            pass  # the signature holds, the body is no JSON: the parser answers 400 for it
        return ProviderCaller(alias=candidate, message_id=wanted["webhook-id"])
    raise CallbackUnauthenticated("The callback's signature matches no provider's secret.")


def callback_message_remember(*, caller: ProviderCaller) -> CallbackMessage | None:
    """Remember a signed message's id; ``CallbackReplayed`` when it was seen before."""
    if caller.message_id is None:
        return None
    try:
        with transaction.atomic():
            return CallbackMessage.objects.create(
                alias=caller.alias, message_id=caller.message_id[:255], received_at=now()
            )
    except IntegrityError as exc:
        raise CallbackReplayed(
            f"The message {caller.message_id!r} was already received; it is not processed twice."
        ) from exc


def callback_message_forget(message: CallbackMessage | None) -> None:
    """A message that could not be processed may come again (its sender retries it)."""
    if message is not None:
        CallbackMessage.objects.filter(pk=message.pk).delete()


def callback_attempt(*, alias: str, external_id: str) -> Attempt:
    """The attempt the provider ``alias`` knows as ``external_id``: 404 when no attempt has
    that id, 403 when the attempts that have it are another provider's."""
    found = list(
        Attempt.objects.select_related("exam__course", "user")
        .filter(external_id=external_id)
        .order_by("-id")[:10]
    )
    if not found:
        raise StudentExamAttemptDoesNotExistsException(
            f"There is no attempt with the external id {external_id!r}."
        )
    for attempt in found:
        if exam_provider_name(attempt.exam) == alias:
            return attempt
    raise ReviewProviderMismatch(
        f"The attempt {external_id!r} is not proctored by {alias!r}: its callbacks come from "
        "its own provider."
    )


def callback_ready(*, alias: str, attempt: Attempt) -> Attempt:
    """``ready``: the learner's proctoring software runs; the attempt may start."""
    return actions.attempt_mark_ready(attempt_id=attempt.pk, cause=f"provider:{alias}:ready")


def callback_messages_prune(*, older_than: timedelta = MESSAGE_KEEP) -> int:
    """Forget the message ids received before ``older_than`` ago: a replay of one of them is
    refused by its timestamp anyway (five minutes). Returns how many were forgotten."""
    deleted, _ = CallbackMessage.objects.filter(received_at__lt=now() - older_than).delete()
    return deleted
