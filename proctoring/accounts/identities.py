"""The local users of platform identities: made on first sight, kept in line with the claims.

Usernames: a new identity gets the username its token asks for when it is free, else the
same name with a short hash of its issuer and subject (``zoe-1a2b3c4d``), stable and unique.
Two new identities asking for one name at the same moment are resolved the same way: the
insert that loses the race retries, inside a savepoint, with the next name.

Course roles (see docs/integration.md, "Course roles: the token and the API"): a role is what
its latest change made it, whether that change came from a token or from the REST API. A
token changes a user's role in a course only when it names a different role for the course
than the identity's tokens named before; a token that names the same role again leaves alone
whatever the API did since.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction

from proctoring.accounts.claims import USERNAME_MAX_LENGTH, InvalidClaims, PlatformClaims
from proctoring.accounts.identity_read import identity_read
from proctoring.accounts.models import PlatformIdentity
from proctoring.courses.services import course_role_grant, course_role_revoke

# The suffixes tried, in hash characters, when the wanted username is taken.
SUFFIX_LENGTHS = (8, 16, 64)


def identity_hash(issuer: str, subject: str) -> str:
    """A hex digest of the identity, the source of its username suffixes."""
    return hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()


def username_candidates(claims: PlatformClaims) -> list[str]:
    """The usernames a new identity may get, in order, each within the column's length."""
    wanted = claims.username
    digest = identity_hash(claims.issuer, claims.subject)
    return [wanted] + [
        f"{wanted[: USERNAME_MAX_LENGTH - 1 - size]}-{digest[:size]}" for size in SUFFIX_LENGTHS
    ]


def _username_is_free(username: str) -> bool:
    return not get_user_model().objects.filter(username=username).exists()


def _identity_find(claims: PlatformClaims) -> PlatformIdentity | None:
    return identity_read(issuer=claims.issuer, subject=claims.subject)


def _identity_create(claims: PlatformClaims) -> PlatformIdentity:
    """A new user and its identity; or the identity a concurrent request made meanwhile.

    Each insert runs in a savepoint: when it fails on a unique column, either the same identity
    was made meanwhile (it is used) or another user took the name (the next name is tried).
    """
    for username in username_candidates(claims):
        if not _username_is_free(username):
            continue
        try:
            with transaction.atomic():
                user = get_user_model()(username=username)
                user.set_unusable_password()
                user.save()
                return PlatformIdentity.objects.create(
                    issuer=claims.issuer, subject=claims.subject, user=user
                )
        except IntegrityError:
            found = _identity_find(claims)
            if found is not None:
                return found
    raise InvalidClaims(f"No username derived from {claims.username!r} is free.")


def _course_roles_apply(
    *, identity: PlatformIdentity, user_id: int, claimed: dict[str, str | None]
) -> dict[str, str | None]:
    """Apply the roles the token names differently from the identity's earlier tokens;
    return what the identity's tokens have named, course by course, with this one."""
    named: dict[str, str | None] = dict(identity.course_roles or {})
    for course_id, role in claimed.items():
        if course_id in named and named[course_id] == role:
            continue  # named before: whatever changed it since (the API) stands
        if role is None:
            course_role_revoke(user_id=user_id, course_id=course_id)
        else:
            course_role_grant(user_id=user_id, course_id=course_id, role=role)
    named.update(claimed)
    return named


def platform_user_sync(*, claims: PlatformClaims) -> AbstractUser:
    """The local user of a platform identity, made on first sight and kept in line with claims.

    A request whose claims did not change since the last one costs one query and writes nothing.
    """
    identity = _identity_find(claims)
    digest = claims.digest()
    if identity is not None and identity.claims_digest == digest:
        found: AbstractUser = identity.user
        return found
    with transaction.atomic():
        if identity is None:
            identity = _identity_create(claims)
        user: AbstractUser = identity.user
        user.email = claims.email
        user.first_name = claims.name
        user.is_staff = claims.administrator
        user.save()
        named = _course_roles_apply(
            identity=identity, user_id=user.pk, claimed=claims.course_roles or {}
        )
        PlatformIdentity.objects.filter(pk=identity.pk).update(
            claims_digest=digest, course_roles=named
        )
    return user
