"""Registering a course's exams in one call (issue 15, item 4).

The platform sends its current list of timed and proctored exams; the service creates the
new ones, updates the changed ones, deactivates the active ones no longer listed, and answers
what changed. Every write goes through the exams' own services, so each change records its
``exam.changed`` event, which is where providers register the exam.

Idempotent: the same list again changes nothing and answers "unchanged". Two calls at once
for one course are serialized by the course row's lock (PostgreSQL); the second one finds the
first one's exams and changes only what still differs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from proctoring.access.windows import window_check
from proctoring.courses.models import Course
from proctoring.courses.services import course_get_or_create
from proctoring.exams.models import Exam
from proctoring.exams.services import exam_create, exam_update
from proctoring.exceptions import ExamListedTwice, InvalidExamData

log = logging.getLogger(__name__)

MAX_EXAMS = 1000
# The fields of an exam a registration sets (``content_id`` names it).
FIELDS = (
    "exam_name",
    "time_limit_mins",
    "due_date",
    "is_proctored",
    "is_practice_exam",
    "hide_after_due",
    "backend",
)


@dataclass(frozen=True)
class ExamSpec:
    """One exam as the platform lists it."""

    content_id: str
    exam_name: str
    time_limit_mins: int | None
    due_date: datetime | None = None
    is_proctored: bool = True
    is_practice_exam: bool = False
    hide_after_due: bool = False
    backend: str | None = None


@dataclass
class Registration:
    """What a registration changed: content ids, each in one list."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    exam_ids: dict[str, int] = field(default_factory=dict)


def _changes(exam: Exam, spec: ExamSpec) -> dict[str, Any]:
    """The fields of the exam that differ from the platform's. A null time limit or backend
    leaves the exam's as it is (the exams' update cannot clear them); a null due date clears
    it."""
    changes = {
        name: getattr(spec, name)
        for name in FIELDS
        if getattr(exam, name) != getattr(spec, name)
        and (getattr(spec, name) is not None or name == "due_date")
    }
    if not exam.is_active:
        changes["is_active"] = True
    return changes


def course_exams_register(*, course_id: str, specs: Sequence[ExamSpec]) -> Registration:
    """Make the course's active exams exactly ``specs``; answer what changed."""
    content_ids = [spec.content_id for spec in specs]
    if len(set(content_ids)) != len(content_ids):
        raise ExamListedTwice()
    if len(specs) > MAX_EXAMS:
        raise InvalidExamData(f"A course registers at most {MAX_EXAMS} exams at once.")
    course_get_or_create(course_id=course_id)
    result = Registration()
    with transaction.atomic():
        # One registration of the course at a time: the next one reads this one's exams.
        Course.objects.select_for_update().filter(course_id=course_id).values_list("id").first()
        existing = {
            exam.content_id: exam
            for exam in Exam.objects.filter(course_id=course_id).select_related("access_rules")
        }
        for spec in specs:
            _check_window(spec, existing.get(spec.content_id))
        for spec in specs:
            _register_one(course_id, spec, existing.get(spec.content_id), result)
        listed = set(content_ids)
        for content_id, exam in sorted(existing.items()):
            if content_id not in listed and exam.is_active:
                exam_update(exam_id=exam.pk, is_active=False)
                result.deactivated.append(content_id)
    log.info(
        "Registered the exams of %s: %s created, %s updated, %s deactivated",
        course_id,
        len(result.created),
        len(result.updated),
        len(result.deactivated),
    )
    return result


def _check_window(spec: ExamSpec, exam: Exam | None) -> None:
    """A new due date must stay after the exam's opening time (``InvalidWindow``)."""
    rules = getattr(exam, "access_rules", None) if exam is not None else None
    if rules is not None and spec.due_date is not None:
        window_check(opens_at=rules.opens_at, due_at=spec.due_date)


def _register_one(course_id: str, spec: ExamSpec, exam: Exam | None, result: Registration) -> None:
    if exam is None:
        created = exam_create(
            course_id=course_id,
            content_id=spec.content_id,
            **{name: getattr(spec, name) for name in FIELDS},
        )
        result.created.append(spec.content_id)
        result.exam_ids[spec.content_id] = created.pk
        return
    result.exam_ids[spec.content_id] = exam.pk
    changes = _changes(exam, spec)
    if not changes:
        result.unchanged.append(spec.content_id)
        return
    exam_update(exam_id=exam.pk, **changes)
    result.updated.append(spec.content_id)
