"""Reads of attempts."""

from __future__ import annotations

from typing import Any

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.core.ids import as_id
from proctoring.exams.selectors import exam_to_dict

ATTEMPT_FIELDS = (
    "id",
    "exam_id",
    "user_id",
    "status",
    "attempt_code",
    "external_id",
    "taking_as_proctored",
    "is_sample_attempt",
    "started_at",
    "completed_at",
    "attempt_number",
    "archived_at",
    "created",
    "modified",
)


def attempt_to_dict(attempt: Attempt) -> dict[str, Any]:
    data = {field: getattr(attempt, field) for field in ATTEMPT_FIELDS}
    data["proctored_exam"] = exam_to_dict(attempt.exam)
    return data


def _current() -> Any:
    return Attempt.objects.select_related("exam").filter(archived_at__isnull=True)


def attempt_get_current(*, exam_id: Any, user_id: Any) -> Attempt | None:
    """The learner's current (not archived) attempt on the exam, or None."""
    exam_pk, user_pk = as_id(exam_id), as_id(user_id)
    if exam_pk is None or user_pk is None:
        return None
    attempt: Attempt | None = _current().filter(exam_id=exam_pk, user_id=user_pk).first()
    return attempt


def attempt_get_by_id(*, attempt_id: Any) -> Attempt | None:
    pk = as_id(attempt_id)
    if pk is None:
        return None
    attempt: Attempt | None = Attempt.objects.select_related("exam").filter(pk=pk).first()
    return attempt


def attempt_get_by_code(*, attempt_code: str) -> Attempt | None:
    if not isinstance(attempt_code, str):
        return None
    attempt: Attempt | None = (
        Attempt.objects.select_related("exam").filter(attempt_code=attempt_code).first()
    )
    return attempt


def attempt_history_list(*, attempt_id: int) -> list[AttemptHistory]:
    return list(AttemptHistory.objects.filter(attempt_id=attempt_id).order_by("id"))
