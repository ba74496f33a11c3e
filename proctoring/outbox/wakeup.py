"""Waking the delivery once new events commit, so they leave within moments instead of at the
next interval. The job runner (proctoring/jobs.py) listens; with no listener (Celery workers,
cron, tests) waking does nothing and the next pass delivers."""

from __future__ import annotations

import threading
from collections.abc import Callable

_lock = threading.Lock()
_listeners: list[Callable[[], None]] = []


def delivery_listen(listener: Callable[[], None]) -> None:
    with _lock:
        _listeners.append(listener)


def delivery_unlisten(listener: Callable[[], None]) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def delivery_wake() -> None:
    for listener in list(_listeners):
        listener()
