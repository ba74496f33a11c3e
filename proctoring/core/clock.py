"""The one place the service reads the time from, so tests can move it."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return timezone.now()
