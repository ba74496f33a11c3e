"""The providers' knowledge of learners' onboarding, behind the attempts app's port
(proctoring/attempts/ports.py ``OnboardingSource``).

The course's provider is asked for its list (``GET .../onboarding_statuses`` for the ``rest``
provider); the learners it knows by their obscured ids are mapped back to ours. A provider that
proctors nothing is not asked (no statement, no call), and one that fails or cannot be reached
is recorded and counts as knowing nothing: the service's own onboarding attempts decide.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from proctoring.attempts.ports import OnboardingStatus
from proctoring.courses.provider_settings import get_provider_name_by_course_id
from proctoring.exceptions import ProctoringError
from proctoring.providers.models import ProviderEvent
from proctoring.providers.registry import provider_aliases, provider_get
from proctoring.providers.services import obscured_user_id, provider_event_record

log = logging.getLogger(__name__)

# A provider's onboarding statuses (the reference's attempt statuses of the learner's
# onboarding exam, or the plain names) as ours; any other is left to our own attempts.
_STATUSES = {
    "verified": OnboardingStatus.VERIFIED,
    "submitted": OnboardingStatus.PENDING,
    "second_review_required": OnboardingStatus.PENDING,
    "pending": OnboardingStatus.PENDING,
    "onboarding_pending": OnboardingStatus.PENDING,
    "rejected": OnboardingStatus.FAILED,
    "error": OnboardingStatus.FAILED,
    "failed": OnboardingStatus.FAILED,
    "onboarding_failed": OnboardingStatus.FAILED,
    "expired": OnboardingStatus.EXPIRED,
    "onboarding_expired": OnboardingStatus.EXPIRED,
    "onboarding_missing": OnboardingStatus.MISSING,
    "missing": OnboardingStatus.MISSING,
}


def _some_provider_proctors() -> bool:
    for alias in provider_aliases():
        try:
            if provider_get(alias).proctors:
                return True
        except ProctoringError:
            continue
    return False


class ProvidersOnboarding:
    """The ``OnboardingSource`` the providers app registers when the apps are ready."""

    def onboarding_statuses(
        self, *, course_id: str, user_ids: Sequence[int]
    ) -> dict[int, OnboardingStatus]:
        if not user_ids or not _some_provider_proctors():
            return {}
        alias = get_provider_name_by_course_id(course_id)
        try:
            provider = provider_get(alias)
            if not provider.proctors:
                return {}
            rows = provider.onboarding_statuses(course_id=course_id)
        except ProctoringError as exc:
            log.warning("Onboarding statuses of %s from %s: %s", course_id, alias, exc.message)
            provider_event_record(
                alias=alias,
                operation="onboarding_statuses",
                outcome=ProviderEvent.Outcome.ERROR,
                message=exc.message,
            )
            return {}
        ours = {obscured_user_id(user_id=user_id, alias=alias): user_id for user_id in user_ids}
        known: dict[int, OnboardingStatus] = {}
        for row in rows:
            user_id, status = ours.get(row.user_id), _STATUSES.get(row.status)
            if user_id is not None and status is not None:
                known[user_id] = status
        return known
