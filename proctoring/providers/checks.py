"""System checks of ``PROCTORING_BACKENDS``, run at startup and by ``proctoring check``."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from standardwebhooks.webhooks import Webhook

from proctoring.providers.registry import (
    BUILTIN_CLASSES,
    CALLBACK_OPTIONS,
    provider_aliases,
    provider_class,
    provider_class_path,
    provider_entry,
)


def _webhook_secret_valid(secret: Any) -> bool:
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        return False
    try:
        Webhook(secret)
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except Exception:
        return False
    return len(key) >= 24


def alias_problems(alias: str) -> list[str]:
    """What is wrong with one alias's entry (empty when it is fine)."""
    entry = provider_entry(alias)
    if entry is None:
        return [f"{alias!r} must be an object of options"]
    path = provider_class_path(alias, entry)
    try:
        cls = provider_class(path)
    except (ImportError, TypeError) as exc:
        return [f"CLASS {path!r} cannot be used: {exc}"]
    options = entry.get("OPTIONS", {})
    if not isinstance(options, Mapping):
        return ["OPTIONS must be an object of options"]
    problems = cls.options_problems(options)
    unknown = sorted(set(options) - cls.OPTIONS - CALLBACK_OPTIONS)
    if unknown:
        problems.append(f"unknown options {', '.join(unknown)}")
    secret = options.get("WEBHOOK_SECRET")
    if secret is not None and not _webhook_secret_valid(secret):
        problems.append("option WEBHOOK_SECRET must be a whsec_ secret (base64, 24 bytes or more)")
    accounts = options.get("SERVICE_ACCOUNTS")
    if accounts is not None and (
        not isinstance(accounts, list) or not all(isinstance(name, str) for name in accounts)
    ):
        problems.append("option SERVICE_ACCOUNTS must be a list of usernames")
    return problems


@register()
def providers_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    backends = settings.PROCTORING_BACKENDS
    default = backends.get("DEFAULT")
    if not isinstance(default, str) or (default not in backends and default not in BUILTIN_CLASSES):
        messages.append(
            Error(
                f"PROCTORING_BACKENDS['DEFAULT'] must name a configured provider, got {default!r}.",
                id="proctoring.providers.E001",
            )
        )
    for alias in provider_aliases():
        for problem in alias_problems(alias):
            messages.append(
                Error(f"Provider {alias!r}: {problem}.", id="proctoring.providers.E002")
            )
        entry = provider_entry(alias)
        if entry is not None and "CLASS" not in entry and alias not in BUILTIN_CLASSES:
            messages.append(
                Warning(
                    f"Provider {alias!r} names no CLASS: it is a timed-only (null) provider.",
                    hint='Add "CLASS": "proctoring.providers.rest.RestProvider" for a vendor.',
                    id="proctoring.providers.W001",
                )
            )
    return messages
