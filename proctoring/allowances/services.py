"""Services that grant, change and revoke allowances."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from proctoring.allowances.models import Allowance
from proctoring.allowances.ports import allowances_changed
from proctoring.core.clock import now
from proctoring.core.events import ALLOWANCE_CHANGED, DomainEvent, events_record
from proctoring.exams.models import Exam
from proctoring.exceptions import AllowanceNotFound, InvalidAllowance, SelfAllowance

log = logging.getLogger(__name__)

MAX_ADDITIONAL_MINUTES = 10_000
MAX_TIME_MULTIPLIER = 10.0
MAX_BULK_ITEMS = 5_000


def _due_date_clean(value: str, key: str = "due_date_extension") -> str:
    """An extended due date or an own opening time: an ISO 8601 date and time with its zone,
    that has a UTC equivalent (9999-12-31T23:59:59-14:00 would fall in the year 10000),
    written in UTC."""
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        due = None
    if due is None or due.tzinfo is None:
        raise InvalidAllowance(
            f"{key} must be an ISO 8601 date and time with its time zone, "
            "e.g. 2030-06-30T23:59:00+00:00."
        )
    try:
        return due.astimezone(UTC).isoformat()
    except OverflowError:
        raise InvalidAllowance(
            f"{key} must fall within the years 1 to 9999 once written in UTC."
        ) from None


def allowance_value_clean(*, key: str, value: str) -> str:
    """The value, checked for its key and written in a canonical form."""
    if key not in Allowance.Key.values:
        raise InvalidAllowance(f"{key!r} is not an allowance key.")
    value = value.strip()
    if key == Allowance.Key.ADDITIONAL_TIME:
        if not value.isascii() or not value.isdigit() or int(value) > MAX_ADDITIONAL_MINUTES:
            raise InvalidAllowance(
                f"additional_time_granted must be a whole number of minutes from 0 to "
                f"{MAX_ADDITIONAL_MINUTES}."
            )
        return str(int(value))
    if key == Allowance.Key.TIME_MULTIPLIER:
        try:
            multiplier = float(value)
        except ValueError:
            multiplier = math.nan
        if not 1.0 <= multiplier <= MAX_TIME_MULTIPLIER:
            raise InvalidAllowance(
                f"time_multiplier must be a number from 1 to {MAX_TIME_MULTIPLIER:g}."
            )
        return f"{multiplier:g}"
    if key in (Allowance.Key.DUE_DATE_EXTENSION, Allowance.Key.OPENS_AT):
        return _due_date_clean(value, key)
    if not value or len(value) > 255:
        raise InvalidAllowance("review_policy_exception must be a text of 1 to 255 characters.")
    return value


def _allowance_event(
    *, exam: Exam, user_id: int, key: str, value: str | None, actor_id: int | None
) -> DomainEvent:
    """``allowance.changed``: granted or changed (the value), or revoked (no value)."""
    return DomainEvent(
        type=ALLOWANCE_CHANGED,
        occurred_at=now(),
        course_id=exam.course_id,
        payload={
            "exam_id": exam.pk,
            "course_id": exam.course_id,
            "content_id": exam.content_id,
            "user_id": user_id,
            "key": key,
            "value": value,
            "actor_id": actor_id,
        },
    )


def check_not_self(*, user_id: int, actor_id: int | None) -> None:
    """Nobody changes their own allowances (``SelfAllowance``): another staff member must.

    A change without an actor (the Python API's, the system's) is allowed.
    """
    if actor_id is not None and actor_id == user_id:
        raise SelfAllowance()


def allowance_grant(
    *, exam: Exam, user_id: int, key: str, value: str, actor_id: int | None = None
) -> tuple[Allowance, bool]:
    """Grant or change the learner's allowance; return it and whether it is new.

    A running attempt of the learner on the exam gets its deadline moved to match. Nobody
    grants themselves an allowance (``SelfAllowance``).
    """
    check_not_self(user_id=user_id, actor_id=actor_id)
    clean = allowance_value_clean(key=key, value=value)
    with transaction.atomic():
        allowance, created = Allowance.objects.update_or_create(
            exam=exam, user_id=user_id, key=key, defaults={"value": clean}
        )
        allowances_changed(exam_ids=[exam.pk], user_ids=[user_id], actor_id=actor_id)
        events_record(
            [_allowance_event(exam=exam, user_id=user_id, key=key, value=clean, actor_id=actor_id)]
        )
    log.info("Allowance %s=%s for user %s on exam %s", key, clean, user_id, exam.pk)
    return allowance, created


def allowance_revoke(*, exam: Exam, user_id: int, key: str, actor_id: int | None = None) -> None:
    """Revoke the learner's allowance; a running attempt's deadline moves to match. Nobody
    revokes their own allowance (``SelfAllowance``)."""
    check_not_self(user_id=user_id, actor_id=actor_id)
    with transaction.atomic():
        deleted, _ = Allowance.objects.filter(exam=exam, user_id=user_id, key=key).delete()
        if not deleted:
            raise AllowanceNotFound(f"User {user_id} has no {key} allowance on exam {exam.pk}.")
        allowances_changed(exam_ids=[exam.pk], user_ids=[user_id], actor_id=actor_id)
        events_record(
            [_allowance_event(exam=exam, user_id=user_id, key=key, value=None, actor_id=actor_id)]
        )
    log.info("Allowance %s revoked for user %s on exam %s", key, user_id, exam.pk)


@dataclass(frozen=True)
class BulkGrantResult:
    """The outcome of one (exam, user) pair of a bulk grant."""

    exam_id: int
    username: str
    ok: bool
    code: str = ""
    detail: str = ""


def _bulk_pair_refusal(
    exam_id: int,
    username: str,
    *,
    course_id: str,
    exams: set[int],
    users: dict[str, int],
    actor_id: int | None,
) -> BulkGrantResult | None:
    """Why the pair of a bulk grant fails: an exam outside the course, an unknown user, or the
    actor's own pair; None when it may be granted."""
    if exam_id not in exams:
        detail = f"There is no exam {exam_id} in course {course_id}."
        return BulkGrantResult(exam_id, username, False, "exam_not_found", detail)
    if username not in users:
        detail = f"There is no user {username!r}."
        return BulkGrantResult(exam_id, username, False, "user_not_found", detail)
    if actor_id is not None and users[username] == actor_id:
        return BulkGrantResult(
            exam_id, username, False, SelfAllowance.code, SelfAllowance.default_message
        )
    return None


def allowance_grant_bulk(
    *,
    course_id: str,
    exam_ids: Sequence[int],
    usernames: Sequence[str],
    key: str,
    value: str,
    actor_id: int | None = None,
) -> list[BulkGrantResult]:
    """Grant one allowance to every (exam, user) pair, in a fixed number of queries (plus a
    few for each running attempt among them, whose deadline moves to match).

    Exams outside the course, unknown users and the actor's own pairs (``self_allowance``)
    fail on their own; the rest are granted.
    """
    clean = allowance_value_clean(key=key, value=value)
    exam_ids = list(dict.fromkeys(exam_ids))
    usernames = list(dict.fromkeys(usernames))
    if len(exam_ids) * len(usernames) > MAX_BULK_ITEMS:
        raise InvalidAllowance(f"A bulk grant covers at most {MAX_BULK_ITEMS} (exam, user) pairs.")
    exams_by_id = {
        exam.pk: exam
        for exam in Exam.objects.filter(course_id=course_id, pk__in=exam_ids).only(
            "id", "course_id", "content_id"
        )
    }
    exams = set(exams_by_id)
    users = dict(
        get_user_model().objects.filter(username__in=usernames).values_list("username", "pk")
    )
    results = [
        _bulk_pair_refusal(
            exam_id, username, course_id=course_id, exams=exams, users=users, actor_id=actor_id
        )
        or BulkGrantResult(exam_id, username, True)
        for exam_id in exam_ids
        for username in usernames
    ]
    moment = now()
    rows = [
        Allowance(
            exam_id=result.exam_id,
            user_id=users[result.username],
            key=key,
            value=clean,
            created=moment,
            modified=moment,
        )
        for result in results
        if result.ok
    ]
    if rows:
        _bulk_write(rows, exams=exams_by_id, key=key, value=clean, actor_id=actor_id)
    log.info("Bulk allowance %s=%s: %s granted in %s", key, clean, len(rows), course_id)
    return results


def _bulk_write(
    rows: list[Allowance], *, exams: dict[int, Exam], key: str, value: str, actor_id: int | None
) -> None:
    """Store a bulk grant's allowances, move the running deadlines, record the events."""
    with transaction.atomic():
        Allowance.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["exam", "user", "key"],
            update_fields=["value", "modified"],
        )
        granted_to = {row.user_id for row in rows}
        allowances_changed(exam_ids=set(exams), user_ids=granted_to, actor_id=actor_id)
        events_record(
            [
                _allowance_event(
                    exam=exams[row.exam_id],
                    user_id=row.user_id,
                    key=key,
                    value=value,
                    actor_id=actor_id,
                )
                for row in rows
            ]
        )
