"""Reads of attempts."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Subquery

from proctoring.accounts.models import PlatformIdentity
from proctoring.attempts.dict_read import attempt_dict_read
from proctoring.attempts.models import Attempt
from proctoring.attempts.page_read import page_read
from proctoring.attempts.statuses import AttemptStatus
from proctoring.core.ids import as_id
from proctoring.exams.selectors import EXAM_FIELDS, exam_to_dict

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


def _dict_read(lookup: str, *values: Any) -> dict[str, Any] | None:
    """``attempt_to_dict`` of the attempt ``lookup`` finds, read without model instances
    (dict_read.py): the same dict, in one statement compiled once."""
    return attempt_dict_read(
        lookup=lookup, values=values, attempt_names=ATTEMPT_FIELDS, exam_names=EXAM_FIELDS
    )


def attempt_dict_current(*, exam_id: Any, user_id: Any) -> dict[str, Any] | None:
    """``attempt_to_dict`` of the learner's current attempt on the exam, or None."""
    exam_pk, user_pk = as_id(exam_id), as_id(user_id)
    if exam_pk is None or user_pk is None:
        return None
    return _dict_read("current", exam_pk, user_pk)


def attempt_dict_by_id(*, attempt_id: Any) -> dict[str, Any] | None:
    """``attempt_to_dict`` of the attempt with this id, or None."""
    pk = as_id(attempt_id)
    return _dict_read("id", pk) if pk is not None else None


def attempt_dict_by_code(*, attempt_code: Any) -> dict[str, Any] | None:
    """``attempt_to_dict`` of the attempt with this code, or None."""
    return _dict_read("code", attempt_code) if isinstance(attempt_code, str) else None


def _current() -> Any:
    return Attempt.objects.select_related("exam__course").filter(archived_at__isnull=True)


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
    attempt: Attempt | None = Attempt.objects.select_related("exam__course").filter(pk=pk).first()
    return attempt


def attempt_get_for_identity(
    *, attempt_id: int, issuer: str, subject: str, claims_digest: str
) -> Attempt | None:
    """The attempt with its exam and course, annotated ``viewer_id``: the active user of the
    platform identity whose last applied claims have this digest, else None. One statement:
    the in-exam poll authenticates and reads with it (``rest/v1/attempt_poll.py``)."""
    viewer = PlatformIdentity.objects.filter(
        issuer=issuer, subject=subject, claims_digest=claims_digest, user__is_active=True
    ).values("user_id")[:1]
    attempt: Attempt | None = (
        Attempt.objects.select_related("exam__course")
        .annotate(viewer_id=Subquery(viewer))
        .filter(pk=attempt_id)
        .first()
    )
    return attempt


def attempt_get_by_code(*, attempt_code: str) -> Attempt | None:
    if not isinstance(attempt_code, str):
        return None
    attempt: Attempt | None = (
        Attempt.objects.select_related("exam").filter(attempt_code=attempt_code).first()
    )
    return attempt


# --- Selectors of the REST API v1 (issue #3) -------------------------------------------------


def user_search_filter(search: str, *, relation: str = "") -> Q:
    """Users whose username or email starts with ``search``, in any case (both indexed)."""
    return Q(**{f"{relation}username__istartswith": search}) | Q(
        **{f"{relation}email__istartswith": search}
    )


def attempt_list_for_course(
    *,
    course_id: str,
    exam_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
    include_archived: bool = False,
) -> QuerySet[Attempt]:
    """A course's attempts, newest first, with exam and user, for the staff list.

    ``search`` is a case-insensitive prefix of the username or the email; both are indexed
    (see the accounts app's migrations), so the search does not scan the users.
    """
    attempts = Attempt.objects.select_related("exam", "user").filter(exam__course_id=course_id)
    if not include_archived:
        attempts = attempts.filter(archived_at__isnull=True)
    if exam_id is not None:
        attempts = attempts.filter(exam_id=exam_id)
    if status:
        attempts = attempts.filter(status=status)
    if search:
        attempts = attempts.filter(user_search_filter(search, relation="user__"))
    return attempts.order_by("-id")


# The staff list's row: the attempt's fields, its exam's name and content id, its learner's.
PAGE_COLUMNS = {
    **{field: field for field in ATTEMPT_FIELDS},
    "exam_name": "exam__exam_name",
    "content_id": "exam__content_id",
    "username": "user__username",
    "email": "user__email",
}


def attempt_page_for_course(
    *,
    course_id: str,
    page: int,
    page_size: int,
    exam_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
    include_archived: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """The course's attempt count and one page of its staff list (``attempt_list_for_course``,
    newest first) as dicts of ``PAGE_COLUMNS``, read as values, no model instances: two
    statements whatever the page size and the course size (one past the last page), compiled
    once per set of filters (page_read.py)."""
    start = (page - 1) * page_size
    names = list(PAGE_COLUMNS)
    if search:
        attempts = attempt_list_for_course(
            course_id=course_id,
            exam_id=exam_id,
            status=status,
            search=search,
            include_archived=include_archived,
        )
        count = attempts.count()
        found = list(attempts.values_list(*PAGE_COLUMNS.values())[start : start + page_size])
        return count, [dict(zip(names, row, strict=True)) for row in found]

    def build(values: Any) -> QuerySet[Any]:
        return attempt_list_for_course(
            course_id=values["course_id"],
            exam_id=values["exam_id"] if exam_id is not None else None,
            status=values["status"] if status else None,
            include_archived=include_archived,
        )

    values = {"course_id": course_id, "exam_id": exam_id, "status": status}
    key = ("attempt_page", exam_id is not None, bool(status), include_archived)
    count, rows = page_read(
        key=key,
        build=build,
        columns=tuple(PAGE_COLUMNS.values()),
        values=values,
        start=start,
        size=page_size,
    )
    return count, [dict(zip(names, row, strict=True)) for row in rows]


def attempt_get_active_for_user(*, user_id: int) -> Attempt | None:
    """The learner's running attempt (started, clock going), the latest started first."""
    attempt: Attempt | None = (
        _current()
        .filter(
            user_id=user_id,
            status__in=[AttemptStatus.STARTED, AttemptStatus.READY_TO_SUBMIT],
        )
        .order_by("-started_at", "-id")
        .first()
    )
    return attempt
