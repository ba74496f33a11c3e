"""The three ways to call the API: platform JWTs, service-account API keys, browser sessions.

A platform JWT (``Authorization: Bearer <jwt>``) is signed with HS256 and the shared secret
``PROCTORING_JWT_SECRET``, or with RS256 and a key of the JWKS at ``PROCTORING_JWT_JWKS_URL``.
An API key is sent as ``Authorization: Api-Key <key>`` (or as a bearer token).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jwt
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from proctoring.accounts.claims import InvalidClaims, platform_claims_parse
from proctoring.accounts.identities import platform_user_sync
from proctoring.accounts.models import ApiKey
from proctoring.accounts.services import KEY_PREFIX, api_key_authenticate
from proctoring.rest.auth_cache import auth_cache, clock, secret_key, user_copy

HS256 = "HS256"
RS256 = "RS256"
JWKS_MIN_REFETCH_SECONDS = 10.0


@dataclass(frozen=True)
class PlatformToken:
    """``request.auth`` of a JWT-authenticated request: the verified claims."""

    claims: dict[str, Any]


class _JwksCache:
    """The keys of the configured JWKS, fetched again after a while or on an unknown key id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._source = ""
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._source, self._keys, self._fetched_at = "", {}, 0.0

    def _load(self, source: str) -> dict[str, Any]:
        parsed = urlparse(source)
        try:
            if parsed.scheme in ("http", "https"):
                data = jwt.PyJWKClient(source, cache_keys=False, timeout=10).fetch_data()
            else:
                path = parsed.path if parsed.scheme == "file" else source
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            key_set = jwt.PyJWKSet.from_dict(data)
        except (OSError, ValueError, jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:
            raise exceptions.AuthenticationFailed(
                f"The platform's signing keys cannot be loaded: {exc}", code="jwks_unavailable"
            ) from exc
        return {key.key_id or "": key for key in key_set.keys if key.key_type == "RSA"}

    def key(self, source: str, key_id: str) -> Any:
        max_age = settings.PROCTORING_JWT_JWKS_CACHE_SECONDS
        with self._lock:
            age = time.monotonic() - self._fetched_at
            fresh = self._source == source and age < max_age
            # An unknown key id may be a rotated key: fetch again, but not more than once
            # every few seconds, so bad tokens cannot make us hammer the platform.
            if not fresh or (key_id not in self._keys and age > JWKS_MIN_REFETCH_SECONDS):
                self._keys = self._load(source)
                self._source, self._fetched_at = source, time.monotonic()
            keys = self._keys
        if key_id in keys:
            return keys[key_id].key
        if not key_id and len(keys) == 1:
            return next(iter(keys.values())).key
        raise exceptions.AuthenticationFailed(
            f"No key of the platform's key set has the id {key_id!r}.", code="unknown_key"
        )


_jwks = _JwksCache()


@receiver(setting_changed)
def _reset_jwks(**kwargs: Any) -> None:
    if kwargs.get("setting", "").startswith("PROCTORING_JWT_"):
        _jwks.clear()


def _authorization(request: Request) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.strip().partition(" ")
    if not scheme or not credentials.strip():
        return None
    return scheme.lower(), credentials.strip()


def _fail(message: str, code: str = "invalid_token") -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message, code=code)


def _claims(token: str, key: Any, algorithm: str) -> dict[str, Any]:
    """PyJWT's check of the token's signature (by ``algorithm`` only), issuer, audience and
    times; its errors are PyJWT's."""
    issuer = settings.PROCTORING_JWT_ISSUER
    audience = settings.PROCTORING_JWT_AUDIENCE
    required = ["exp", "sub"] + (["iss"] if issuer else []) + (["aud"] if audience else [])
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[algorithm],
        audience=audience or None,
        issuer=issuer or None,
        leeway=settings.PROCTORING_JWT_LEEWAY_SECONDS,
        options={"require": required, "verify_aud": bool(audience)},
    )
    return claims


def platform_token_decode(token: str) -> dict[str, Any]:
    """The claims of a platform JWT whose signature, issuer, audience and times are valid.

    With a shared secret, a valid HS256 token is read once: PyJWT checks that its header
    names HS256 as it checks the rest. Any other token (refused, or signed with RS256) takes
    the full path, which reads its header first and says why it is refused.
    """
    secret = settings.PROCTORING_JWT_SECRET
    jwks_url = settings.PROCTORING_JWT_JWKS_URL
    if not secret and not jwks_url:
        raise _fail("JWT authentication is not configured on this service.", "jwt_not_configured")
    if secret:
        try:
            return _claims(token, secret, HS256)
        except jwt.PyJWTError:
            pass  # the reason is found below, as for every refused token
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _fail(f"The token is not a JWT: {exc}") from exc
    algorithm = header.get("alg")
    key: Any
    if algorithm == HS256 and secret:
        key = secret
    elif algorithm == RS256 and jwks_url:
        key_id = header.get("kid") or ""
        if not isinstance(key_id, str):
            raise _fail("The token's key id must be a string.")
        key = _jwks.key(jwks_url, key_id)
    else:
        raise _fail(f"Tokens signed with {algorithm!r} are not accepted.", "unsupported_algorithm")
    try:
        return _claims(token, key, algorithm)
    except jwt.ExpiredSignatureError as exc:
        raise _fail("The token has expired.", "token_expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise _fail("The token is not valid yet.", "token_not_yet_valid") from exc
    except jwt.PyJWTError as exc:
        raise _fail(f"The token is not valid: {exc}") from exc


def token_end(claims: dict[str, Any]) -> float:
    """When the decoder would refuse the token as expired, on the cache's clock."""
    left = float(claims["exp"]) + settings.PROCTORING_JWT_LEEWAY_SECONDS - time.time()
    return clock() + left


class JWTAuthentication(authentication.BaseAuthentication):
    """A learner or staff member of the course platform, by a JWT the platform signed.

    The token's ``sub`` names a local user made on first sight; its other claims
    (preferred_username, email, name, administrator, course_roles) keep it up to date.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, PlatformToken] | None:
        credentials = _authorization(request)
        if credentials is None or credentials[0] != "bearer":
            return None
        token = credentials[1]
        if token.startswith(KEY_PREFIX):
            return None  # an API key sent as a bearer token
        key = secret_key("jwt", token)
        cached = auth_cache.get(key)
        if cached is not None:
            return user_copy(cached[0]), cached[1]
        claims = platform_token_decode(token)
        try:
            parsed = platform_claims_parse(
                payload=claims, issuer=settings.PROCTORING_JWT_ISSUER or ""
            )
            user = platform_user_sync(claims=parsed)
        except InvalidClaims as exc:
            raise _fail(str(exc), "invalid_claims") from exc
        if not user.is_active:
            raise _fail("This user is inactive.", "user_inactive")
        auth = PlatformToken(claims)
        auth_cache.put(key, (user, auth), user_id=user.pk, until=token_end(claims))
        return user_copy(user), auth

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A platform's service account, by an API key made with ``proctoring api_key create``."""

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiKey] | None:
        credentials = _authorization(request)
        if credentials is None:
            return None
        scheme, key = credentials
        if scheme != "api-key" and not (scheme == "bearer" and key.startswith(KEY_PREFIX)):
            return None
        cache_key = secret_key("api-key", key)
        cached = auth_cache.get(cache_key)
        if cached is not None:
            return user_copy(cached.user), cached
        api_key = api_key_authenticate(raw_key=key)
        if api_key is None:
            raise _fail("The API key is not valid or was revoked.", "invalid_api_key")
        if not api_key.user.is_active:
            raise _fail("This service account is inactive.", "user_inactive")
        auth_cache.put(cache_key, api_key, user_id=api_key.user_id)
        return user_copy(api_key.user), api_key


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's Django session (the browsable API and the web UI); CSRF enforced."""

    def enforce_csrf(self, request: Any) -> None:
        """DRF's CSRF check, its failure with the code of Django's (``csrf_failed``)."""
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc.detail), code="csrf_failed") from exc
