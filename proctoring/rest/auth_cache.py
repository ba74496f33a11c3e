"""What authentication learned, kept a few seconds: the hot path spends no query on it.

A learner's page polls its attempt every few seconds and each poll carries the same JWT; an
API key comes back on every call of the platform. Verifying them again means decoding the
token, or hashing the key, and reading the user and its identity: a query per request. This
module keeps, per process, for ``PROCTORING_AUTH_CACHE_SECONDS`` (5 by default; 0 turns it
off):

* a verified JWT's user and claims, keyed by a SHA-256 of the token, never past the token's
  own expiry (with the leeway the decoder allows);
* an API key's row and user, keyed by a SHA-256 of the key;
* whether a user is staff of a course (the runtime instructor service's answer).

What a cached entry may hide lasts at most that many seconds in every process: a user made
inactive, a key revoked, a role granted or taken away, a staff flag changed. In the process
that makes the change, the entries it concerns go at once (signals below); a queryset
``update()`` sends no signal and waits the bound. The cache holds at most
``PROCTORING_AUTH_CACHE_SIZE`` entries, the least recently used going first.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from proctoring.accounts.models import ApiKey
from proctoring.courses.models import CourseRole


def clock() -> float:
    """Seconds on a monotonic clock: the cache's only time source (tests move it)."""
    return time.monotonic()


def secret_key(kind: str, secret: str) -> tuple[str, str]:
    """The cache key of a token or API key: its SHA-256, never the secret itself."""
    return kind, hashlib.sha256(secret.encode()).hexdigest()


class AuthCache:
    """A bounded, thread-safe map whose entries expire; each tagged with a user id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, int | None, Any]] = OrderedDict()
        self._by_user: dict[int, set[Hashable]] = {}

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= clock():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def put(self, key: Hashable, value: Any, *, user_id: int | None, until: float = 0.0) -> None:
        """Keep ``value`` for the configured time, and never after ``until`` (monotonic
        seconds) when given."""
        seconds = settings.PROCTORING_AUTH_CACHE_SECONDS
        if seconds <= 0:
            return
        expires = clock() + seconds
        if until:
            expires = min(expires, until)
        with self._lock:
            self._drop(key)
            self._entries[key] = (expires, user_id, value)
            if user_id is not None:
                self._by_user.setdefault(user_id, set()).add(key)
            while len(self._entries) > settings.PROCTORING_AUTH_CACHE_SIZE:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and entry[1] is not None:
            keys = self._by_user.get(entry[1], set())
            keys.discard(key)
            if not keys:
                self._by_user.pop(entry[1], None)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._drop(key)

    def forget_user(self, user_id: int) -> None:
        """Drop every entry of this user."""
        with self._lock:
            for key in list(self._by_user.get(user_id, ())):
                self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_user.clear()

    def __len__(self) -> int:
        return len(self._entries)


auth_cache = AuthCache()


def user_copy(user: Any) -> Any:
    """A request's own copy of a cached user: a view may change its copy, not the cache's."""
    return copy.copy(user)


@receiver(post_save, sender=get_user_model())
@receiver(post_delete, sender=get_user_model())
def _user_changed(instance: Any, **kwargs: Any) -> None:
    auth_cache.forget_user(instance.pk)


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
@receiver(post_save, sender=CourseRole)
@receiver(post_delete, sender=CourseRole)
def _grant_changed(instance: Any, **kwargs: Any) -> None:
    auth_cache.forget_user(instance.user_id)


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    auth_cache.clear()
