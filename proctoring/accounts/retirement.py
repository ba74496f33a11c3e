"""Retirement: a learner's personal data removed, their attempts and results kept.

The user row stays (attempts, their history and credit statuses point to it), but its name,
email and username go: the username becomes ``retired_user_<hash>``, where the hash is an HMAC
of the old username with the service's secret key (not reversible without it, and the same on a
retry, which finds the retired user again). The platform identity links are deleted (a later
token with the same subject makes a new, unrelated user), API keys are revoked, the password is
made unusable and the account inactive, and the admin's log entries stop naming the user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from proctoring.accounts.models import ApiKey, PlatformIdentity
from proctoring.core.clock import now
from proctoring.exceptions import UserNotFoundException

RETIRED_PREFIX = "retired_user_"

# What apps above this one keep of a user that retirement must remove too (the access rules'
# gate log keeps addresses): each is called with the user's id inside the retirement's
# transaction. They register themselves when the apps are ready, so this app imports none.
_listeners: list[Callable[[int], None]] = []


def retirement_listener_add(forget: Callable[[int], None]) -> None:
    if forget not in _listeners:
        _listeners.append(forget)


@dataclass(frozen=True)
class Retirement:
    user_id: int
    username: str  # the retired username
    already_retired: bool
    platform_identities_removed: int
    api_keys_revoked: int


def retired_username(username: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), username.encode(), hashlib.sha256)
    return f"{RETIRED_PREFIX}{digest.hexdigest()[:32]}"


def _scrub(user: AbstractUser, new_username: str) -> None:
    user.username = new_username
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.last_login = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def user_retire(*, username: str) -> Retirement:
    """Remove the personal data of the user named ``username``; idempotent.

    A username already retired (given again, old or new) answers ``already_retired``; an
    unknown one raises ``UserNotFoundException``.
    """
    user_model = get_user_model()
    new_username = retired_username(username)
    with transaction.atomic():
        user = user_model.objects.select_for_update().filter(username=username).first()
        if user is None or (username.startswith(RETIRED_PREFIX) and not user.is_active):
            done = user or user_model.objects.filter(username=new_username).first()
            if done is None:
                raise UserNotFoundException(f"There is no user {username!r}.")
            return Retirement(done.pk, done.get_username(), True, 0, 0)
        if user_model.objects.filter(username=new_username).exists():
            # The same username was retired before (another user, since): keep both apart.
            new_username = f"{new_username}_{secrets.token_hex(4)}"
        assert isinstance(user, AbstractUser)
        _scrub(user, new_username)
        identities, _ = PlatformIdentity.objects.filter(user=user).delete()
        keys = ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now())
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(user_model), object_id=str(user.pk)
        ).update(object_repr=new_username)
        for forget in _listeners:
            forget(user.pk)
    return Retirement(user.pk, new_username, False, identities, keys)
