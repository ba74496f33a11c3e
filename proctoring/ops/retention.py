"""Retention: learners whose attempts all ended long ago are retired (their personal data
removed, their attempts and results kept; see ``proctoring/accounts/retirement.py``).

Attempts hold no personal data of their own (only the link to their user), so anonymizing old
attempts is retiring their learners. Only learners are retired: a user with a course staff role,
global staff, a superuser or a service account (an API key) keeps their account.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from proctoring.accounts.retirement import RETIRED_PREFIX, Retirement, user_retire
from proctoring.attempts.statuses import STATUS_TABLE
from proctoring.core.clock import now
from proctoring.courses.models import CourseRole
from proctoring.exceptions import UserNotFoundException

NOT_COMPLETED = sorted(str(status) for status, info in STATUS_TABLE.items() if not info.completed)


def retention_cutoff(days: int) -> datetime:
    return now() - timedelta(days=days)


def learners_due_for_retirement(*, cutoff: datetime) -> QuerySet[Any, str]:
    """Usernames of learners with attempts, all completed and unchanged since ``cutoff``."""
    return (
        get_user_model()
        .objects.filter(exam_attempts__isnull=False, is_staff=False, is_superuser=False)
        .exclude(username__startswith=RETIRED_PREFIX)
        .exclude(exam_attempts__status__in=NOT_COMPLETED)
        .exclude(exam_attempts__modified__gte=cutoff)
        .exclude(api_keys__isnull=False)
        .exclude(course_roles__role__in=sorted(CourseRole.STAFF_ROLES))
        .order_by("pk")
        .values_list("username", flat=True)
        .distinct()
    )


def learners_retire_expired(*, days: int) -> list[Retirement]:
    """Retire every learner due (each in its own transaction); what was done."""
    done = []
    for username in list(learners_due_for_retirement(cutoff=retention_cutoff(days))):
        try:
            done.append(user_retire(username=username))
        except UserNotFoundException:  # renamed or retired meanwhile
            continue
    return done
