"""Ports of the attempts app: what it asks of the integrations above it, as typed Protocols
with a local default, so the domain never imports them (DESIGN.md 3.1).

``OnboardingSource``: a proctoring provider's view of learners' onboarding (the reference's
``get_onboarding_statuses`` of a course, and the onboarding answer of an attempt's creation).
The default knows nothing, so the service's own onboarding attempts decide; the providers
register theirs with ``onboarding_source_set`` when the apps are ready. Its calls may cross the
network: the attempts app never makes them while it holds an attempt's row lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol


class OnboardingStatus(StrEnum):
    """A learner's onboarding in a course."""

    VERIFIED = "verified"  # onboarded: may take the course's proctored exams
    PENDING = "pending"  # the onboarding attempt awaits its review
    FAILED = "failed"  # the onboarding attempt was rejected (or failed)
    MISSING = "missing"  # no onboarding attempt (or one not finished, or reset)
    EXPIRED = "expired"  # verified too long ago


class OnboardingSource(Protocol):
    def onboarding_statuses(
        self, *, course_id: str, user_ids: Sequence[int]
    ) -> dict[int, OnboardingStatus]:
        """The statuses it knows of these learners in the course; a learner it does not know
        is left out (the service's own onboarding attempts decide for it)."""


class NoProviderOnboarding:
    """The default: no provider data."""

    def onboarding_statuses(
        self, *, course_id: str, user_ids: Sequence[int]
    ) -> dict[int, OnboardingStatus]:
        return {}


_lock = threading.Lock()
_source: OnboardingSource = NoProviderOnboarding()


def onboarding_source_set(source: OnboardingSource | None) -> None:
    """Register the provider's onboarding source (None: back to the default)."""
    global _source
    with _lock:
        _source = source if source is not None else NoProviderOnboarding()


def onboarding_source() -> OnboardingSource:
    return _source
