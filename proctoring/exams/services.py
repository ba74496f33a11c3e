"""Services that write exams."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import IntegrityError, connections, transaction

from proctoring.core.clock import now
from proctoring.core.events import EXAM_CHANGED, DomainEvent, events_record
from proctoring.core.inserts import row_insert
from proctoring.courses.models import Course
from proctoring.exams.models import Exam
from proctoring.exceptions import (
    InvalidExamData,
    ProctoredExamAlreadyExists,
    ProctoredExamNotFoundException,
)

log = logging.getLogger(__name__)


class _Unchanged:
    """Marks an argument the caller did not pass (None means 'clear' where allowed)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def _check_time_limit(time_limit_mins: Any) -> None:
    if time_limit_mins is None:
        return
    if isinstance(time_limit_mins, bool) or not isinstance(time_limit_mins, int):
        raise InvalidExamData("time_limit_mins must be a whole number of minutes.")
    if time_limit_mins < 0:
        raise InvalidExamData("time_limit_mins must not be negative.")


def _check_due_date(due_date: Any) -> None:
    if due_date is None:
        return
    if not isinstance(due_date, datetime) or due_date.tzinfo is None:
        raise InvalidExamData("due_date must be a timezone-aware datetime or None.")
    try:
        due_date.astimezone(UTC)
    except OverflowError:
        raise InvalidExamData(
            "due_date must fall within the years 1 to 9999 once written in UTC."
        ) from None


def _keep_onboarding_coherent(exam: Exam, *, made_onboarding: bool) -> None:
    """An onboarding exam is a proctored practice exam: made one, it becomes proctored and
    practice; made timed or real otherwise, it is no onboarding exam any more."""
    if made_onboarding:
        exam.is_proctored = exam.is_practice_exam = True
    elif not (exam.is_proctored and exam.is_practice_exam):
        exam.is_onboarding = False


def _exam_event(exam: Exam) -> DomainEvent:
    """``exam.changed``: the exam as it is after its creation or update."""
    return DomainEvent(
        type=EXAM_CHANGED,
        occurred_at=now(),
        course_id=exam.course_id,
        payload={
            "exam_id": exam.pk,
            "course_id": exam.course_id,
            "content_id": exam.content_id,
            "exam_name": exam.exam_name,
            "time_limit_mins": exam.time_limit_mins,
            "due_date": exam.due_date.isoformat() if exam.due_date else None,
            "is_proctored": exam.is_proctored,
            "is_practice_exam": exam.is_practice_exam,
            "is_active": exam.is_active,
            "hide_after_due": exam.hide_after_due,
            "backend": exam.backend,
        },
    )


@cache
def _course_known_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    column = qn(Course._meta.get_field("course_id").column)
    return f"SELECT 1 FROM {qn(Course._meta.db_table)} WHERE {column} = %s"


def _course_ensure(course_id: str) -> None:
    """The course exists: a read written once (``get_or_create`` built its query at every
    exam), and the course created on first sight."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(_course_known_sql(connection.alias), [course_id])
        known = cursor.fetchone() is not None
    if not known:  # created on first sight; a course created meanwhile is taken
        try:
            with transaction.atomic():
                Course.objects.create(course_id=course_id)
        except IntegrityError:
            pass


def exam_create(
    *,
    course_id: str,
    content_id: str,
    exam_name: str,
    time_limit_mins: int | None,
    due_date: datetime | None = None,
    is_proctored: bool = True,
    is_practice_exam: bool = False,
    external_id: str | None = None,
    is_active: bool = True,
    hide_after_due: bool = False,
    backend: str | None = None,
    is_onboarding: bool = False,
) -> Exam:
    """Create an exam; the (course_id, content_id) pair must be new."""
    _check_time_limit(time_limit_mins)
    if is_onboarding:  # an onboarding exam is a proctored practice exam, by definition
        is_proctored = is_practice_exam = True
    _check_due_date(due_date)
    _course_ensure(course_id)
    try:
        with transaction.atomic():
            exam = Exam(
                course_id=course_id,
                content_id=content_id,
                exam_name=exam_name,
                time_limit_mins=time_limit_mins,
                due_date=due_date,
                is_proctored=is_proctored,
                is_practice_exam=is_practice_exam,
                external_id=external_id,
                is_active=is_active,
                hide_after_due=hide_after_due,
                backend=backend,
                is_onboarding=is_onboarding,
            )
            row_insert(exam)  # its INSERT compiled once (core/inserts.py)
            events_record([_exam_event(exam)])
    except IntegrityError as exc:
        # The unique constraint, not a prior read, decides: two racing creates cannot both win.
        raise ProctoredExamAlreadyExists(
            f"An exam with course_id={course_id!r} and content_id={content_id!r} already exists."
        ) from exc
    log.info("Created exam %s in %s (content_id=%s)", exam.pk, course_id, content_id)
    return exam


def exam_update(
    *,
    exam_id: int,
    exam_name: str | None = None,
    time_limit_mins: int | None = None,
    due_date: Any = UNCHANGED,
    is_proctored: bool | None = None,
    is_practice_exam: bool | None = None,
    external_id: str | None = None,
    is_active: bool | None = None,
    hide_after_due: bool | None = None,
    backend: str | None = None,
    is_onboarding: bool | None = None,
) -> Exam:
    """Change what is passed, leave the rest; ``due_date=None`` clears the due date."""
    _check_time_limit(time_limit_mins)
    if due_date is not UNCHANGED:
        _check_due_date(due_date)
    changes: dict[str, Any] = {
        name: value
        for name, value in {
            "exam_name": exam_name,
            "time_limit_mins": time_limit_mins,
            "is_proctored": is_proctored,
            "is_practice_exam": is_practice_exam,
            "external_id": external_id,
            "is_active": is_active,
            "hide_after_due": hide_after_due,
            "backend": backend,
            "is_onboarding": is_onboarding,
        }.items()
        if value is not None
    }
    if due_date is not UNCHANGED:
        changes["due_date"] = due_date
    with transaction.atomic():
        exam = Exam.objects.select_for_update().filter(pk=exam_id).first()
        if exam is None:
            raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id}.")
        for name, value in changes.items():
            setattr(exam, name, value)
        _keep_onboarding_coherent(exam, made_onboarding=is_onboarding is True)
        exam.save()
        events_record([_exam_event(exam)])
    log.info("Updated exam %s: %s", exam_id, sorted(changes))
    return exam


def exam_set_provider_ids(*, exam_id: int, external_id: str | None, backend: str) -> None:
    """Record the provider's id of the exam and the provider's alias.

    No ``exam.changed`` event: this is the service's own bookkeeping of what the provider
    answered, which the platforms did not change (and an event would register the exam again).
    """
    Exam.objects.filter(pk=exam_id).update(external_id=external_id, backend=backend, modified=now())
