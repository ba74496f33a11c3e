"""The platform's signing keys: RSA 2048, identified by ``kid``, in three states (models.py).

Rotation (``proctoring lti_keys rotate``) makes the ``next`` key active, retires the active
one and prepares a new ``next``; the JWKS publishes ``next`` (so tools may fetch it before it
signs), ``active``, and ``retired`` keys for ``LTI_KEY_GRACE_SECONDS`` after their retirement,
so a token signed just before a rotation still verifies. Tokens carry the ``kid`` of the key
that signed them.

Private keys are stored encrypted (Fernet, with a key derived from ``SECRET_KEY``): rotating
``SECRET_KEY`` needs a key rotation too (docs/lti.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from datetime import timedelta
from typing import Any

import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from jwt.algorithms import RSAAlgorithm

from proctoring.core.clock import now
from proctoring.lti.models import LtiKey

_PUBLIC_MEMBERS = ("kty", "n", "e")

_loaded_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"proctoring.lti.keys:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def grace_seconds() -> int:
    return int(settings.LTI_KEY_GRACE_SECONDS)


def _key_new(state: str) -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = secrets.token_urlsafe(16)
    full = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public = {name: full[name] for name in _PUBLIC_MEMBERS}
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    moment = now()
    return LtiKey.objects.create(
        kid=kid,
        state=state,
        private_pem=_fernet().encrypt(pem),
        public_jwk=public,
        created=moment,
        activated_at=moment if state == LtiKey.State.ACTIVE else None,
    )


def keys_rotate() -> LtiKey:
    """Rotate: ``next`` becomes active (a new key when there is none), the active key is
    retired, a new ``next`` is made. Returns the new active key."""
    with transaction.atomic():
        moment = now()
        keys = list(LtiKey.objects.select_for_update().exclude(state=LtiKey.State.RETIRED))
        LtiKey.objects.filter(pk__in=[k.pk for k in keys if k.state == LtiKey.State.ACTIVE]).update(
            state=LtiKey.State.RETIRED, retired_at=moment
        )
        upcoming = next((k for k in keys if k.state == LtiKey.State.NEXT), None)
        if upcoming is None:
            active = _key_new(LtiKey.State.ACTIVE)
        else:
            LtiKey.objects.filter(pk=upcoming.pk).update(
                state=LtiKey.State.ACTIVE, activated_at=moment
            )
            upcoming.refresh_from_db()
            active = upcoming
        _key_new(LtiKey.State.NEXT)
    return active


def key_active() -> LtiKey:
    """The key that signs; the first call makes the first keys."""
    key = LtiKey.objects.filter(state=LtiKey.State.ACTIVE).order_by("-id").first()
    return key if key is not None else keys_rotate()


def keys_published() -> list[LtiKey]:
    """The keys of the JWKS: next, active, and retired within the grace period."""
    since = now() - timedelta(seconds=grace_seconds())
    return [
        key
        for key in LtiKey.objects.all()
        if key.state != LtiKey.State.RETIRED or (key.retired_at and key.retired_at > since)
    ]


def keys_prune() -> int:
    """Delete the retired keys past their grace period; how many."""
    since = now() - timedelta(seconds=grace_seconds())
    deleted, _ = LtiKey.objects.filter(state=LtiKey.State.RETIRED, retired_at__lte=since).delete()
    return deleted


def jwks() -> dict[str, Any]:
    """The public JWKS: public members only (``kty``, ``n``, ``e``, ``kid``, ``alg``, ``use``)."""
    return {"keys": [dict(key.public_jwk) for key in keys_published()]}


def _private_key(key: LtiKey) -> Any:
    with _loaded_lock:
        loaded = _loaded.get(key.kid)
    if loaded is None:
        pem = _fernet().decrypt(bytes(key.private_pem))
        loaded = serialization.load_pem_private_key(pem, password=None)
        with _loaded_lock:
            _loaded[key.kid] = loaded
    return loaded


def token_sign(claims: dict[str, Any]) -> str:
    """The claims as a JWT signed RS256 by the active key, with its ``kid``."""
    key = key_active()
    return jwt.encode(claims, _private_key(key), algorithm="RS256", headers={"kid": key.kid})
