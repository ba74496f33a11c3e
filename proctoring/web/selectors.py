"""The reads of the web UI's pages, each in a fixed, small number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, Subquery

from proctoring.access.models import ExamRules
from proctoring.allowances.models import Allowance
from proctoring.attempts import time_math
from proctoring.attempts.locks import ALLOWANCE_KEYS
from proctoring.attempts.models import Attempt
from proctoring.courses.models import CourseRole
from proctoring.exams.models import Exam

_ATTEMPT_COLUMNS = [field.attname for field in Attempt._meta.concrete_fields]


@dataclass(frozen=True)
class LearnerExam:
    """What the learner's exam page shows: the exam (with its course), the learner's current
    attempt, whether the learner is enrolled, and the learner's time allowances."""

    exam: Exam
    attempt: Attempt | None
    enrolled: bool
    allowances: time_math.Allowances
    needs_access_code: bool = False

    @property
    def allowed_seconds(self) -> int | None:
        """The time the learner has (or had, once started): allowances included."""
        if self.attempt is not None and self.attempt.started_at is not None:
            return self.attempt.allowed_time_seconds
        return time_math.allowed_seconds(
            time_limit_mins=self.exam.time_limit_mins, allowances=self.allowances
        )

    @property
    def due_date(self) -> datetime | None:
        return time_math.effective_due_date(
            exam_due_date=self.exam.due_date, allowances=self.allowances
        )


def _allowance(key: str, user_id: int) -> Subquery:
    return Subquery(
        Allowance.objects.filter(exam_id=OuterRef("pk"), user_id=user_id, key=key).values("value")[
            :1
        ]
    )


def learner_exam_get(*, exam_id: int, user_id: int) -> LearnerExam | None:
    """The exam page's data in one statement: the exam and its course, joined to the learner's
    current attempt (at most one: a unique constraint), the enrolment and the allowances as
    sub-selects. None when there is no such exam."""
    mine = FilteredRelation(
        "attempts", condition=Q(attempts__user_id=user_id, attempts__archived_at__isnull=True)
    )
    exam = (
        Exam.objects.select_related("course")
        .filter(pk=exam_id)
        .annotate(mine=mine)
        .annotate(
            **{f"mine_{column}": F(f"mine__{column}") for column in _ATTEMPT_COLUMNS},
            **{f"allowance_{key}": _allowance(key, user_id) for key in ALLOWANCE_KEYS},
            needs_access_code=Exists(
                ExamRules.objects.filter(exam_id=OuterRef("pk")).exclude(access_code_hash="")
            ),
            enrolled=Exists(
                CourseRole.objects.filter(course_id=OuterRef("course_id"), user_id=user_id)
            ),
        )
        .first()
    )
    if exam is None:
        return None
    attempt = None
    if getattr(exam, "mine_id", None) is not None:
        attempt = _attempt_of(exam)
    values: dict[str, str] = {
        key: value
        for key in ALLOWANCE_KEYS
        if (value := getattr(exam, f"allowance_{key}")) is not None
    }
    return LearnerExam(
        exam=exam,
        attempt=attempt,
        enrolled=bool(getattr(exam, "enrolled", False)),
        allowances=time_math.Allowances.from_values(values),
        needs_access_code=bool(getattr(exam, "needs_access_code", False)),
    )


def _attempt_of(exam: Exam) -> Attempt:
    """The attempt whose columns the exam's row carries, as a loaded model with its exam."""
    values: dict[str, Any] = {
        column: getattr(exam, f"mine_{column}") for column in _ATTEMPT_COLUMNS
    }
    row = [values[column] for column in _ATTEMPT_COLUMNS]
    attempt = Attempt.from_db(exam._state.db, _ATTEMPT_COLUMNS, row)
    attempt.exam = exam
    return attempt
