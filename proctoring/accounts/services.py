"""Services of API keys and platform identities."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from proctoring.accounts.models import ApiKey
from proctoring.core.clock import now

KEY_PREFIX = "prk_"
_KEY_RE = re.compile(r"^prk_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")
SERVICE_USERNAME_PREFIX = "svc-"


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("ascii")).hexdigest()


def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """Create a key for the service account ``name`` (made on first use); return it and the key.

    The key itself is returned once and never stored: only its hash is.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("An API key needs a name of 1 to 100 characters.")
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=f"{SERVICE_USERNAME_PREFIX}{name}"[:150]
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        prefix = secrets.token_hex(6)
        raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey.objects.create(
            name=name, prefix=prefix, key_hash=_hash(raw_key), user=user
        )
    return api_key, raw_key


def api_key_revoke(*, prefix: str) -> bool:
    """Revoke the key with this prefix; False when no active key has it."""
    prefix = prefix.removeprefix(KEY_PREFIX).split("_", 1)[0]
    revoked = False
    for api_key in ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True):
        api_key.revoked_at = now()
        # Saved (not updated in bulk) so that post_save tells the authentication cache.
        api_key.save(update_fields=["revoked_at", "modified"])
        revoked = True
    return revoked


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key that ``raw_key`` is, with its user, or None."""
    match = _KEY_RE.match(raw_key)
    if match is None:
        return None
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(prefix=match["prefix"], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw_key)):
        return None
    return api_key
