"""Reads of allowances, and the time an allowance gives a learner."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping

from django.db.models import QuerySet

from proctoring.allowances.models import Allowance

ADDITIONAL_TIME = Allowance.Key.ADDITIONAL_TIME.value
TIME_MULTIPLIER = Allowance.Key.TIME_MULTIPLIER.value


def allowed_time_minutes(
    *, time_limit_mins: int | None, allowances: Mapping[str, str]
) -> float | None:
    """The minutes a learner may take: the time limit, times the time multiplier when there is
    one, plus the additional minutes granted. None when the exam has no time limit.

    A pure function of stored values: a value that does not parse counts as no allowance.
    """
    if time_limit_mins is None:
        return None
    minutes = float(time_limit_mins)
    try:
        multiplier = float(allowances.get(TIME_MULTIPLIER, "1"))
    except ValueError:
        multiplier = 1.0
    if math.isfinite(multiplier) and multiplier > 0:
        minutes *= multiplier
    with contextlib.suppress(ValueError):
        minutes += max(0, int(allowances.get(ADDITIONAL_TIME, "0")))
    return minutes


def allowance_values(*, exam_id: int, user_id: int) -> dict[str, str]:
    """The learner's allowances on the exam, as {key: value}."""
    return dict(
        Allowance.objects.filter(exam_id=exam_id, user_id=user_id).values_list("key", "value")
    )


def allowance_list(
    *, course_id: str, exam_id: int | None = None, user_id: int | None = None
) -> QuerySet[Allowance]:
    """The allowances of a course's exams, with their exam and user, oldest first."""
    allowances = Allowance.objects.select_related("user", "exam").filter(exam__course_id=course_id)
    if exam_id is not None:
        allowances = allowances.filter(exam_id=exam_id)
    if user_id is not None:
        allowances = allowances.filter(user_id=user_id)
    return allowances.order_by("id")
