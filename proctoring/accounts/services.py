"""Services of API keys and platform identities."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction

from proctoring.accounts.models import ApiKey, PlatformIdentity
from proctoring.core.clock import now
from proctoring.courses.models import CourseRole
from proctoring.courses.services import course_role_grant, course_role_revoke

KEY_PREFIX = "prk_"
_KEY_RE = re.compile(r"^prk_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")
SERVICE_USERNAME_PREFIX = "svc-"
MAX_COURSE_ROLES_CLAIM = 1000


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
    return (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).update(revoked_at=now()) > 0
    )


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


class InvalidClaims(ValueError):
    """A platform token whose claims are missing or of the wrong type."""


@dataclass(frozen=True)
class PlatformClaims:
    """What a platform token says about its user."""

    issuer: str
    subject: str
    username: str
    email: str = ""
    name: str = ""
    administrator: bool = False
    # course_id -> role, or None to revoke the user's role in that course.
    course_roles: dict[str, str | None] | None = field(default=None)

    def digest(self) -> str:
        data = [self.email, self.name, self.administrator, self.course_roles]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _optional_str(payload: dict[str, Any], name: str, limit: int) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidClaims(f"The {name} claim must be a string of at most {limit} characters.")
    return value


def platform_claims_parse(*, payload: dict[str, Any], issuer: str) -> PlatformClaims:
    """Check the claims of a verified token and return what they say."""
    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise InvalidClaims("The sub claim must be a non-empty string of at most 255 characters.")
    administrator = payload.get("administrator", False)
    if not isinstance(administrator, bool):
        raise InvalidClaims("The administrator claim must be a boolean.")
    roles = payload.get("course_roles")
    course_roles: dict[str, str | None] | None = None
    if roles is not None:
        if not isinstance(roles, dict) or len(roles) > MAX_COURSE_ROLES_CLAIM:
            raise InvalidClaims("The course_roles claim must be an object {course_id: role}.")
        valid_roles = set(CourseRole.Role.values)
        for course_id, role in roles.items():
            if (
                not course_id
                or len(course_id) > 255
                or (role is not None and role not in valid_roles)
            ):
                raise InvalidClaims(
                    f"The course_roles claim has an invalid entry for {course_id[:255]!r}: roles "
                    f"are {', '.join(sorted(valid_roles))} or null."
                )
        course_roles = dict(roles)
    return PlatformClaims(
        issuer=issuer,
        subject=subject,
        username=_optional_str(payload, "preferred_username", 150) or subject[:150],
        email=_optional_str(payload, "email", 254),
        name=_optional_str(payload, "name", 150),
        administrator=administrator,
        course_roles=course_roles,
    )


def _free_username(wanted: str, claims: PlatformClaims) -> str:
    user_model = get_user_model()
    if not user_model.objects.filter(username=wanted).exists():
        return wanted
    # Taken by someone else: a suffix derived from the identity keeps it stable and unique.
    suffix = hashlib.sha256(f"{claims.issuer}\n{claims.subject}".encode()).hexdigest()[:8]
    return f"{wanted[:141]}-{suffix}"


def platform_user_sync(*, claims: PlatformClaims) -> AbstractUser:
    """The local user of a platform identity, made on first sight and kept in line with claims.

    A request whose claims did not change since the last one costs one query and writes nothing.
    """
    identity = (
        PlatformIdentity.objects.select_related("user")
        .filter(issuer=claims.issuer, subject=claims.subject)
        .first()
    )
    digest = claims.digest()
    if identity is not None and identity.claims_digest == digest:
        user: AbstractUser = identity.user
        return user
    with transaction.atomic():
        if identity is None:
            username = _free_username(claims.username, claims)
            try:
                with transaction.atomic():
                    user = get_user_model()(username=username)
                    user.set_unusable_password()
                    user.save()
                    identity = PlatformIdentity.objects.create(
                        issuer=claims.issuer, subject=claims.subject, user=user
                    )
            except IntegrityError as exc:
                # Another request saw this identity first: use what it made. (Or another
                # user took the username meanwhile: the caller may simply try again.)
                identity = (
                    PlatformIdentity.objects.select_related("user")
                    .filter(issuer=claims.issuer, subject=claims.subject)
                    .first()
                )
                if identity is None:
                    raise InvalidClaims("The user could not be created; try again.") from exc
        user = identity.user
        user.email = claims.email
        user.first_name = claims.name
        user.is_staff = claims.administrator
        user.save()
        for course_id, role in (claims.course_roles or {}).items():
            if role is None:
                course_role_revoke(user_id=user.pk, course_id=course_id)
            else:
                course_role_grant(user_id=user.pk, course_id=course_id, role=role)
        PlatformIdentity.objects.filter(pk=identity.pk).update(claims_digest=digest)
    return user
