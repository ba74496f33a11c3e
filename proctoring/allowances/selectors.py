"""Reads of allowances (the time they give is computed in proctoring/attempts/budget.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from proctoring.allowances.models import Allowance


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
