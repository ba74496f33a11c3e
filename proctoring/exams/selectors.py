"""Reads of exams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from proctoring.courses.provider_settings import default_provider_name
from proctoring.exams.models import Exam
from proctoring.exceptions import ProctoredExamNotFoundException

EXAM_FIELDS = (
    "id",
    "course_id",
    "content_id",
    "external_id",
    "exam_name",
    "time_limit_mins",
    "due_date",
    "is_proctored",
    "is_practice_exam",
    "is_active",
    "hide_after_due",
    "backend",
)


def exam_to_dict(exam: Exam) -> dict[str, Any]:
    return {field: getattr(exam, field) for field in EXAM_FIELDS}


def exam_get(*, exam_id: int) -> Exam:
    exam = Exam.objects.filter(pk=exam_id).first()
    if exam is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id}.")
    return exam


def exam_get_by_content_id(*, course_id: str, content_id: str) -> Exam:
    exam = Exam.objects.filter(course_id=course_id, content_id=content_id).first()
    if exam is None:
        raise ProctoredExamNotFoundException(
            f"There is no exam with course_id={course_id!r} and content_id={content_id!r}."
        )
    return exam


def exam_list_for_course(*, course_id: str, active_only: bool = False) -> QuerySet[Exam]:
    exams = Exam.objects.filter(course_id=course_id)
    if active_only:
        exams = exams.filter(is_active=True)
    return exams.order_by("id")


def exam_list_practice_proctored(*, course_id: str) -> QuerySet[Exam]:
    return exam_list_for_course(course_id=course_id, active_only=True).filter(
        is_proctored=True, is_practice_exam=True
    )


def exam_get_in_course(*, course_id: str, exam_id: int) -> Exam:
    """The exam, which must belong to the course: an exam of another course is not found."""
    exam = Exam.objects.filter(pk=exam_id, course_id=course_id).first()
    if exam is None:
        raise ProctoredExamNotFoundException(
            f"There is no exam with id {exam_id} in course {course_id!r}."
        )
    return exam


def exam_provider_name(exam: Exam) -> str:
    """The provider alias proctoring the exam: the one it was set up with, else its course's,
    else the default (reads ``exam.course``: load it with the exam)."""
    return exam.backend or exam.course.provider or default_provider_name()
