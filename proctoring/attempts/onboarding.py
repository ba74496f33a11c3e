"""Onboarding: before a learner takes a course's proctored exams, it takes the course's
onboarding exam (a proctored practice exam marked ``is_onboarding``), whose review verifies
that the proctoring works for it. A proctored attempt of a learner who is not onboarded is
created in the matching ``onboarding_*`` status, which ends it.

A learner's onboarding status comes from the provider when it knows the learner (the port,
ports.py), else from the learner's latest onboarding attempt in the course:

| latest onboarding attempt | status |
| --- | --- |
| verified, within ``PROCTORING_ONBOARDING_VALIDITY_DAYS`` | verified |
| verified, before that | expired |
| submitted, second review required | pending |
| rejected, error | failed |
| none, or any other status (not finished, reset) | missing |

A course without an active onboarding exam asks for none (unless its provider says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from proctoring.attempts.models import Attempt
from proctoring.attempts.ports import OnboardingStatus, onboarding_source
from proctoring.attempts.statuses import AttemptStatus
from proctoring.core.clock import now
from proctoring.courses.models import CourseRole
from proctoring.exams.models import Exam

S = AttemptStatus
ON = OnboardingStatus

# The attempt status a proctored attempt is created in, by the learner's onboarding status.
BLOCKING: dict[OnboardingStatus, AttemptStatus] = {
    ON.MISSING: S.ONBOARDING_MISSING,
    ON.PENDING: S.ONBOARDING_PENDING,
    ON.FAILED: S.ONBOARDING_FAILED,
    ON.EXPIRED: S.ONBOARDING_EXPIRED,
}
_FROM_ATTEMPT: dict[str, OnboardingStatus] = {
    S.VERIFIED: ON.VERIFIED,
    S.SUBMITTED: ON.PENDING,
    S.SECOND_REVIEW_REQUIRED: ON.PENDING,
    S.REJECTED: ON.FAILED,
    S.ERROR: ON.FAILED,
}


def onboarding_status_of_attempt(
    *, status: str | None, verified_at: datetime | None, moment: datetime
) -> OnboardingStatus:
    """The onboarding status the latest onboarding attempt gives (None: no attempt)."""
    found = _FROM_ATTEMPT.get(status or "", ON.MISSING)
    days = settings.PROCTORING_ONBOARDING_VALIDITY_DAYS
    too_old = days and verified_at is not None and moment - verified_at > timedelta(days=days)
    return ON.EXPIRED if found == ON.VERIFIED and too_old else found


def _onboarding_attempts(course_id: str) -> QuerySet[Attempt]:
    return Attempt.objects.filter(
        exam__course_id=course_id,
        exam__is_onboarding=True,
        exam__is_active=True,
        archived_at__isnull=True,
    )


def onboarding_annotations(course_id: str, user_field: str = "user_id") -> dict[str, Subquery]:
    """The latest onboarding attempt of each row's user (``user_field``) in the course, as
    annotations ``onboarding_attempt_id``, ``_status`` and ``_modified`` (sub-selects)."""
    latest = _onboarding_attempts(course_id).filter(user_id=OuterRef(user_field)).order_by("-id")
    return {
        f"onboarding_attempt_{name}": Subquery(latest.values(name)[:1])
        for name in ("id", "status", "modified")
    }


def onboarding_statuses_resolve(
    *, course_id: str, rows: Sequence[Any], moment: datetime | None = None
) -> list[tuple[OnboardingStatus, str]]:
    """The onboarding status of each row (annotated by ``onboarding_annotations``, with a
    ``user_id``), and where it came from: ``provider`` or ``attempts``. The provider is asked
    once for all of them."""
    moment = moment or now()
    known = onboarding_source().onboarding_statuses(
        course_id=course_id, user_ids=[row.user_id for row in rows]
    )
    resolved = []
    for row in rows:
        if row.user_id in known:
            resolved.append((OnboardingStatus(known[row.user_id]), "provider"))
            continue
        status = onboarding_status_of_attempt(
            status=row.onboarding_attempt_status,
            verified_at=row.onboarding_attempt_modified,
            moment=moment,
        )
        resolved.append((status, "attempts"))
    return resolved


def onboarding_block(*, exam: Exam, user_id: int) -> AttemptStatus | None:
    """The ``onboarding_*`` status a new proctored attempt of the learner on the exam must
    take, or None when it may go ahead: not a proctored real exam, the learner onboarded, or
    nothing asks for onboarding. Call it outside any attempt's row lock (the provider)."""
    if not exam.is_proctored or exam.is_practice_exam:
        return None
    known = onboarding_source().onboarding_statuses(course_id=exam.course_id, user_ids=[user_id])
    if user_id in known:
        return BLOCKING.get(OnboardingStatus(known[user_id]))
    latest = (
        _onboarding_attempts(exam.course_id)
        .filter(user_id=user_id)
        .order_by("-id")
        .values("status", "modified")
        .first()
    )
    if latest is None:
        has_onboarding = Exam.objects.filter(
            course_id=exam.course_id, is_onboarding=True, is_active=True
        ).exists()
        return S.ONBOARDING_MISSING if has_onboarding else None
    status = onboarding_status_of_attempt(
        status=latest["status"], verified_at=latest["modified"], moment=now()
    )
    return BLOCKING.get(status)


def onboarding_learners_for_course(*, course_id: str) -> QuerySet[CourseRole]:
    """The course's learners, by username, each with its latest onboarding attempt (one
    statement per page); ``onboarding_statuses_resolve`` gives their statuses."""
    return (
        CourseRole.objects.select_related("user")
        .filter(course_id=course_id, role=CourseRole.Role.LEARNER)
        .annotate(**onboarding_annotations(course_id))
        .order_by("user__username", "id")
    )
