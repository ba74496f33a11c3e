"""The providers configured in ``PROCTORING_BACKENDS``, by alias.

``{"DEFAULT": alias, alias: {"CLASS": dotted path, "OPTIONS": {...}, setting: value}, ...}``:
an alias names its class with ``CLASS`` (the built-in aliases ``null``, ``rest``, ``lti``
and ``browser`` need none) and the class's options in ``OPTIONS`` (secrets included), beside
the service's per-provider settings (``ALLOW_TIMED_OUT_STATE``...), which
``get_proctoring_settings`` reads. An alias without ``CLASS`` that is not built in is a
timed-only provider, as before providers existed (the system check warns). A course picks its
provider by alias (``Course.provider``), else the default. Each alias's provider is built once,
and again when its entry changes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from proctoring.exceptions import ProviderError
from proctoring.providers.base import Provider

BUILTIN_CLASSES = {
    "null": "proctoring.providers.null.NullProvider",
    "rest": "proctoring.providers.rest.RestProvider",
    # Proctoring by the learner's browser (docs/browser-proctoring.md): an app of its own.
    "browser": "proctoring.browser.provider.BrowserProvider",
    "lti": "proctoring.lti.provider.LtiProvider",
}
NULL_CLASS = BUILTIN_CLASSES["null"]
# Options every provider takes: how its callbacks authenticate (docs/providers.md).
CALLBACK_OPTIONS = frozenset({"WEBHOOK_SECRET", "SERVICE_ACCOUNTS"})

_lock = threading.Lock()
_built: dict[str, tuple[str, Provider]] = {}


def provider_aliases() -> list[str]:
    """The configured aliases, in their settings' order."""
    return [name for name in settings.PROCTORING_BACKENDS if name != "DEFAULT"]


def provider_default_alias() -> str:
    return str(settings.PROCTORING_BACKENDS["DEFAULT"])


def provider_entry(alias: str) -> Mapping[str, Any] | None:
    entry = settings.PROCTORING_BACKENDS.get(alias) if alias != "DEFAULT" else None
    if entry is None and alias in BUILTIN_CLASSES:
        return {}
    return entry if isinstance(entry, Mapping) else None


def provider_class_path(alias: str, entry: Mapping[str, Any]) -> str:
    return str(entry.get("CLASS") or BUILTIN_CLASSES.get(alias) or NULL_CLASS)


def provider_class(path: str) -> type[Provider]:
    """The class at ``path``, which must be a Provider (ImportError or TypeError otherwise)."""
    found = import_string(path)
    if not isinstance(found, type) or not issubclass(found, Provider):
        raise TypeError(f"{path} is not a proctoring provider class")
    return found


def provider_options(entry: Mapping[str, Any]) -> dict[str, Any]:
    options = entry.get("OPTIONS")
    return dict(options) if isinstance(options, Mapping) else {}


def provider_get(alias: str | None = None) -> Provider:
    """The provider of ``alias`` (the default one when None or empty)."""
    alias = alias or provider_default_alias()
    entry = provider_entry(alias)
    if entry is None:
        raise ProviderError(f"The proctoring provider {alias!r} is not configured.")
    fingerprint = json.dumps(entry, sort_keys=True, default=str)
    with _lock:
        built = _built.get(alias)
        if built is not None and built[0] == fingerprint:
            return built[1]
    try:
        cls = provider_class(provider_class_path(alias, entry))
    except (ImportError, TypeError) as exc:
        raise ProviderError(f"The proctoring provider {alias!r} cannot be loaded: {exc}") from exc
    provider = cls(alias=alias, options=provider_options(entry))
    with _lock:
        _built[alias] = (fingerprint, provider)
    return provider


def provider_option(alias: str, name: str) -> Any:
    """One option of an alias (None when the alias or the option is not there)."""
    return provider_options(provider_entry(alias) or {}).get(name)


def provider_alias_of_service_account(username: str) -> str | None:
    """The alias whose ``SERVICE_ACCOUNTS`` option names this user, or None."""
    for alias in provider_aliases():
        accounts = provider_option(alias, "SERVICE_ACCOUNTS") or ()
        if username in accounts:
            return alias
    return None
