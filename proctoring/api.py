"""The Python API of the proctoring service, with the reference's names and semantics.

Functions take and return plain values (ids, dicts); the domain packages do the work.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from proctoring.access import gates as access_gates
from proctoring.access import questions as access_questions
from proctoring.access import registration as access_registration
from proctoring.allowances import levels as allowance_levels
from proctoring.attempts import actions as attempt_actions
from proctoring.attempts import selectors as attempt_selectors
from proctoring.attempts import time_changes as attempt_time_changes
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.core.ids import as_id
from proctoring.courses.provider_settings import (
    get_proctoring_settings,
    get_provider_name_by_course_id,
)
from proctoring.exams import selectors as exam_selectors
from proctoring.exams.services import UNCHANGED, exam_create, exam_update
from proctoring.exceptions import InvalidExamData, ProctoredExamNotFoundException
from proctoring.providers.services import attempt_register
from proctoring.runtime import get_runtime_service, set_runtime_service

__all__ = [
    "UNCHANGED",
    "create_exam",
    "create_exam_attempt",
    "extend_exam_time",
    "get_all_exams_for_course",
    "get_course_attempt_page",
    "get_course_exam_summary",
    "get_exam_attempt",
    "get_exam_attempt_by_code",
    "get_exam_attempt_by_id",
    "get_exam_by_content_id",
    "get_exam_by_id",
    "get_exam_content_access",
    "get_exam_learner_settings",
    "get_learner_accommodations",
    "get_practice_proctored_exams_for_course",
    "get_proctoring_settings",
    "get_provider_name_by_course_id",
    "get_runtime_service",
    "register_course_exams",
    "set_course_accommodation",
    "set_runtime_service",
    "start_exam_attempt",
    "update_attempt_status",
    "update_exam",
]


def create_exam(
    course_id: str,
    content_id: str,
    exam_name: str,
    time_limit_mins: int | None,
    is_proctored: bool = True,
    is_practice_exam: bool = False,
    external_id: str | None = None,
    is_active: bool = True,
    *,
    due_date: datetime | None = None,
    hide_after_due: bool = False,
    backend: str | None = None,
) -> int:
    """Create an exam; raise ``ProctoredExamAlreadyExists`` if the pair exists. Returns its id.

    The positional order is the reference's; ``due_date``, ``hide_after_due`` and ``backend``
    (ours) are keyword-only.
    """
    exam = exam_create(
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
    )
    return exam.pk


def update_exam(
    exam_id: int,
    exam_name: str | None = None,
    time_limit_mins: int | None = None,
    is_proctored: bool | None = None,
    is_practice_exam: bool | None = None,
    external_id: str | None = None,
    is_active: bool | None = None,
    *,
    due_date: Any = UNCHANGED,
    hide_after_due: bool | None = None,
    backend: str | None = None,
) -> int:
    """Change the arguments passed (``due_date=None`` clears it). Returns the exam id.

    The positional order is the reference's; ``due_date``, ``hide_after_due`` and ``backend``
    (ours) are keyword-only.
    """
    pk = as_id(exam_id)
    if pk is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")
    exam = exam_update(
        exam_id=pk,
        exam_name=exam_name,
        time_limit_mins=time_limit_mins,
        due_date=due_date,
        is_proctored=is_proctored,
        is_practice_exam=is_practice_exam,
        external_id=external_id,
        is_active=is_active,
        hide_after_due=hide_after_due,
        backend=backend,
    )
    return exam.pk


def get_exam_by_id(exam_id: int) -> dict[str, Any]:
    """The exam as a dict; raise ``ProctoredExamNotFoundException`` when unknown."""
    pk = as_id(exam_id)
    if pk is None:
        raise ProctoredExamNotFoundException(f"There is no exam with id {exam_id!r}.")
    return exam_selectors.exam_to_dict(exam_selectors.exam_get(exam_id=pk))


def get_exam_by_content_id(course_id: str, content_id: str) -> dict[str, Any]:
    """The exam of (course_id, content_id) as a dict; raise when unknown."""
    exam = exam_selectors.exam_get_by_content_id(course_id=course_id, content_id=content_id)
    return exam_selectors.exam_to_dict(exam)


def get_all_exams_for_course(course_id: str, active_only: bool = False) -> list[dict[str, Any]]:
    exams = exam_selectors.exam_list_for_course(course_id=course_id, active_only=active_only)
    return [exam_selectors.exam_to_dict(exam) for exam in exams]


def get_practice_proctored_exams_for_course(course_id: str) -> list[dict[str, Any]]:
    """The course's active, proctored practice exams."""
    exams = exam_selectors.exam_list_practice_proctored(course_id=course_id)
    return [exam_selectors.exam_to_dict(exam) for exam in exams]


def create_exam_attempt(exam_id: int, user_id: int, taking_as_proctored: bool = False) -> int:
    """Create the learner's attempt; raise ``StudentExamAttemptAlreadyExistsException``.

    Taken as proctored, the attempt is then registered with the course's provider, as the
    reference does; a provider that fails raises ``ProviderError`` or ``ProviderUnavailable``
    and leaves the attempt ``created`` (docs/providers.md).
    """
    attempt = attempt_create(
        exam_id=exam_id, user_id=user_id, taking_as_proctored=taking_as_proctored
    )
    if attempt.taking_as_proctored:
        attempt_register(attempt=attempt)
    return attempt.pk


def get_exam_attempt(exam_id: int, user_id: int) -> dict[str, Any] | None:
    """The learner's current attempt on the exam as a dict, or None."""
    return attempt_selectors.attempt_dict_current(exam_id=exam_id, user_id=user_id)


def get_exam_attempt_by_id(attempt_id: int) -> dict[str, Any] | None:
    return attempt_selectors.attempt_dict_by_id(attempt_id=attempt_id)


def get_exam_attempt_by_code(attempt_code: str) -> dict[str, Any] | None:
    return attempt_selectors.attempt_dict_by_code(attempt_code=attempt_code)


PAGE_SIZE_MAX = 200  # as the REST API's staff list


def get_course_attempt_page(
    course_id: str,
    *,
    exam_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
    include_archived: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """The staff list of the course's attempts, newest first, one page: ``{"count",
    "results"}``, each result the attempt's fields with ``exam_name``, ``content_id``,
    ``username`` and ``email``. Filters as the REST API's list (``search``: a case-insensitive
    prefix of the username or the email). Two SQL statements. Not in the reference."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError("page must be a whole number, 1 or more.")
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ValueError("page_size must be a whole number.")
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        raise ValueError(f"page_size must be between 1 and {PAGE_SIZE_MAX}.")
    exam_pk = as_id(exam_id) if exam_id is not None else None
    if exam_id is not None and exam_pk is None:
        return {"count": 0, "results": []}  # no exam has that id
    count, results = attempt_selectors.attempt_page_for_course(
        course_id=course_id,
        page=page,
        page_size=page_size,
        exam_id=exam_pk,
        status=status,
        search=search,
        include_archived=include_archived,
    )
    return {"count": count, "results": results}


def update_attempt_status(
    exam_id: int,
    user_id: int,
    to_status: str,
    raise_if_not_found: bool = True,
    cascade_effects: bool = True,
    *,
    actor_id: int | None = None,
    cause: str = "",
) -> int | None:
    """Move the learner's attempt to ``to_status`` under the reference's rules.

    Returns the attempt id, or None when there is no attempt and ``raise_if_not_found`` is
    False. ``actor_id`` and ``cause`` go to the attempt's history.
    """
    return attempt_update_status(
        exam_id=exam_id,
        user_id=user_id,
        to_status=to_status,
        raise_if_not_found=raise_if_not_found,
        cascade_effects=cascade_effects,
        actor_id=actor_id,
        cause=cause,
    )


# Access rules (issue 15): the learner's gated start and the platform's questions. Not in the
# reference; ``update_attempt_status(..., "started")`` keeps its semantics and passes no gate.


def start_exam_attempt(
    exam_id: int,
    user_id: int,
    *,
    access_code: str | None = None,
    ip_address: str | None = None,
    url: str = "",
    seb_config_key_hash: str = "",
    seb_request_hash: str = "",
    session_key: str = "",
) -> int:
    """The learner starts the exam (creating its attempt when it has none) through the exam's
    gates, with the facts of the learner's request; a gate refuses with its own exception
    (``ExamNotOpen``, ``AccessCodeInvalid``, ...), nothing created. Returns the attempt id."""
    exam = exam_selectors.exam_get(exam_id=exam_id)
    facts = access_gates.AccessFacts(
        ip=ip_address,
        url=url,
        seb_config_key_hash=seb_config_key_hash,
        seb_request_hash=seb_request_hash,
        access_code=access_code,
        session_key=session_key,
    )
    current = attempt_selectors.attempt_get_current(exam_id=exam.pk, user_id=user_id)
    if current is None:
        rules = access_gates.access_check_start(
            exam=exam, user_id=user_id, facts=facts, creating=True
        )
        attempt = attempt_actions.attempt_create_for_learner(
            exam_id=exam.pk, user_id=user_id, start=True
        )
        if rules is not None and rules.one_session:
            access_gates.session_bind(attempt=attempt, facts=facts)
        return attempt.pk
    if current.started_at is None:
        access_gates.access_check_start(exam=exam, user_id=user_id, facts=facts, attempt=current)
    return attempt_actions.attempt_act(
        attempt_id=current.pk,
        action="start",
        actor_id=user_id,
        guard=access_gates.session_guard(facts=facts),
    ).pk


def get_exam_content_access(exam_id: int, user_id: int) -> dict[str, Any]:
    """May the learner see the exam's content now: ``{"visible", "reason", "message"}``."""
    exam = exam_selectors.exam_get(exam_id=exam_id)
    return asdict(access_questions.content_access(exam=exam, user_id=user_id))


def get_course_exam_summary(course_id: str, user_id: int) -> list[dict[str, Any]]:
    """Every active exam of the course for the learner (status, time left, window, next step,
    message), in two SQL statements."""
    summary = access_questions.course_summary(course_id=course_id, user_id=user_id)
    return [asdict(item) for item in summary]


def get_exam_learner_settings(exam_id: int, user_id: int | None = None) -> dict[str, Any]:
    """The exam's learner-facing settings (rules, contacts, escalation email, support links,
    its gates), with the learner's own window when ``user_id`` is given."""
    exam = exam_selectors.exam_get(exam_id=exam_id)
    return access_questions.learner_settings(exam=exam, user_id=user_id)


def get_learner_accommodations(course_id: str, user_id: int) -> dict[str, Any]:
    """A learner's accommodations in the course, for staff: profile, groups, per exam."""
    return access_questions.learner_accommodations(course_id=course_id, user_id=user_id)


def register_course_exams(course_id: str, exams: list[dict[str, Any]]) -> dict[str, Any]:
    """Make the course's active exams exactly ``exams`` (dicts with ``content_id``,
    ``exam_name``, ``time_limit_mins`` and optionally ``due_date``, ``is_proctored``,
    ``is_practice_exam``, ``hide_after_due``, ``backend``): create, update, deactivate.
    Returns ``{"created", "updated", "deactivated", "unchanged", "exam_ids"}``. Idempotent."""
    try:
        specs = [access_registration.ExamSpec(**exam) for exam in exams]
    except TypeError as exc:
        raise InvalidExamData(f"An exam of the list is not valid: {exc}.") from None
    return asdict(access_registration.course_exams_register(course_id=course_id, specs=specs))


def set_course_accommodation(
    course_id: str, user_id: int, key: str, value: str | None, *, actor_id: int | None = None
) -> None:
    """Set (or remove, ``value=None``) the learner's course-wide accommodation of ``key``
    (``time_multiplier``, ``additional_time_granted``, ``due_date_extension``): every exam of
    the course, present and future, unless the exam has the learner's own allowance."""
    allowance_levels.course_allowance_set(
        course_id=course_id, user_id=user_id, key=key, value=value, actor_id=actor_id
    )


def extend_exam_time(
    exam_id: int, minutes: int, reason: str, *, actor_id: int | None = None
) -> list[int]:
    """Add minutes to every running attempt of the exam at once, with a reason recorded on
    each; one transaction. Returns the ids of the attempts extended."""
    attempts = attempt_time_changes.attempts_add_time_for_exam(
        exam_id=exam_id, minutes=minutes, actor_id=actor_id, reason=reason
    )
    return [attempt.pk for attempt in attempts]
