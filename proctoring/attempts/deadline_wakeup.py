"""Telling the expiry job that a deadline may now come sooner than it planned for: an attempt
started, was resumed, or had its deadline moved. The in-process job runner (proctoring/jobs.py)
listens and looks at the earliest deadline again, so it times the attempt out at its deadline
rather than at its next interval. With no listener (Celery workers, cron, tests) telling does
nothing: beat's interval bounds the lag there.

The domain only tells; the runner registers itself (the domain never imports the jobs)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import transaction

_lock = threading.Lock()
_listeners: list[Callable[[], None]] = []


def deadlines_listen(listener: Callable[[], None]) -> None:
    with _lock:
        _listeners.append(listener)


def deadlines_unlisten(listener: Callable[[], None]) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def _notify() -> None:
    for listener in list(_listeners):
        listener()


def deadlines_changed() -> None:
    """A deadline was set or moved in the current transaction: the listeners hear of it once
    it commits (at once outside a transaction); a rollback tells nobody."""
    if _listeners:
        transaction.on_commit(_notify)
