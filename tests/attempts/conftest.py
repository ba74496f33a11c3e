"""A clock that tests move by hand, shared by the clock's tests."""

from datetime import UTC, datetime, timedelta

import pytest

T0 = datetime(2026, 5, 4, 9, 15, 27, 345678, tzinfo=UTC)
GRACE = 5


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> datetime:
        self.moment = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def clock(monkeypatch):
    """Every reader of the time (they all go through django.utils.timezone.now) sees ``T0``."""
    fake = FakeClock(T0)
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


@pytest.fixture
def grace(settings):
    """The submission grace period, pinned."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = GRACE
    return GRACE
