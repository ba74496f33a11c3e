"""Reads of allowances (the time they give is computed in proctoring/attempts/time_math.py).

A learner's value of a key on an exam is the narrowest one given: the learner's own on the
exam, else the one of a group the learner belongs to, else the learner's course profile.
``allowance_value_expression`` states that once, as SQL, for every reader: the locks of the
attempts, the expiry job and the reads below.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from proctoring.allowances.models import (
    Allowance,
    CourseAllowance,
    GroupAllowance,
    GroupMember,
)
from proctoring.exams.models import Exam


def _one_level_deeper(value: Any) -> Any:
    """``value`` as seen from a sub-select nested one level deeper: an outer reference reaches
    one query further out; a plain value stays."""
    if isinstance(value, OuterRef):
        return OuterRef(value)
    if isinstance(value, F):
        return OuterRef(value.name)
    return value


def allowance_value_expression(key: str, *, exam: Any, user: Any, course: Any) -> Coalesce:
    """The learner's value of ``key`` on the exam (or NULL), for a query whose rows give the
    exam id, the user id and the course id (``OuterRef``s or ``F``s) of that exam."""
    own = Allowance.objects.filter(exam_id=exam, user_id=user, key=key).values("value")[:1]
    # The groups the learner belongs to in the course, by the query's own course id: no join
    # through the exam and the course again (a shorter statement, fewer joins to run).
    groups = GroupMember.objects.filter(
        course_id=_one_level_deeper(course), user_id=_one_level_deeper(user)
    ).values("group")
    of_group = (
        GroupAllowance.objects.filter(exam_id=exam, key=key, group__in=groups)
        .order_by("group")
        .values("value")[:1]
    )
    profile = CourseAllowance.objects.filter(course_id=course, user_id=user, key=key).values(
        "value"
    )[:1]
    return Coalesce(Subquery(own), Subquery(of_group), Subquery(profile))


def allowance_values(*, exam_id: int, user_id: int) -> dict[str, str]:
    """The learner's allowances on the exam, as {key: value}: its own, its group's and its
    course profile's, the narrowest first (one statement)."""
    row = (
        Exam.objects.filter(pk=exam_id)
        .annotate(
            **{
                f"value_{key}": allowance_value_expression(
                    key, exam=OuterRef("pk"), user=user_id, course=OuterRef("course_id")
                )
                for key in Allowance.Key.values
            }
        )
        .values(*(f"value_{key}" for key in Allowance.Key.values))
        .first()
    )
    if row is None:
        return {}
    values = {key: row[f"value_{key}"] for key in Allowance.Key.values}
    return {key: value for key, value in values.items() if value is not None}


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
