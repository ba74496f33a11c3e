"""Finding and locking attempts: the one place where attempt rows are locked.

Every status or clock change locks the rows it changes (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serialized already), loaded with what the
transition needs (exam, course and user) so that no later statement reads them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from proctoring.accounts.models import PlatformIdentity
from proctoring.allowances.selectors import allowance_value_expression
from proctoring.attempts.cascade_sql import course_attempts_lock
from proctoring.attempts.lock_sql import lock_run
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import NOT_STARTED, RUNNING_STATUSES
from proctoring.attempts.time_math import ADDITIONAL_TIME, DUE_DATE_EXTENSION, TIME_MULTIPLIER

# Allowance values loaded with a locked attempt that is about to start, as annotations.
ALLOWANCE_KEYS = (ADDITIONAL_TIME, TIME_MULTIPLIER, DUE_DATE_EXTENSION)
EXTENSION = f"allowance_{DUE_DATE_EXTENSION}"


def _locked() -> QuerySet[Attempt]:
    return Attempt.objects.select_related("exam__course", "user").select_for_update(of=("self",))


def _allowance(key: str) -> Any:
    """The learner's value of ``key`` on the attempt's exam: its own, its group's or its
    course profile's (allowances/selectors.py)."""
    return allowance_value_expression(
        key, exam=OuterRef("exam_id"), user=OuterRef("user_id"), course=OuterRef("exam__course_id")
    )


def _with_allowances(attempts: QuerySet[Attempt]) -> QuerySet[Attempt]:
    """Each attempt's time allowances as annotations ``allowance_<key>`` (one statement)."""
    return attempts.annotate(**{f"allowance_{key}": _allowance(key) for key in ALLOWANCE_KEYS})


# The user of the caller's platform identity, read by the lock (``attempt_lock(viewer=...)``).
VIEWER_ANNOTATION = "viewer_user_id"


def _viewer_user(matched: Mapping[str, Any]) -> Subquery:
    """The active user whose platform identity has this issuer and subject and had exactly
    these claims applied (their digest), else NULL."""
    return Subquery(
        PlatformIdentity.objects.filter(
            issuer=matched["issuer"],
            subject=matched["subject"],
            claims_digest=matched["claims_digest"],
            user__is_active=True,
        ).values("user_id")[:1]
    )


def loaded_allowance_values(attempt: Attempt) -> dict[str, str] | None:
    """The allowance values ``attempt_lock(..., with_allowances=True)`` loaded, else None."""
    if not hasattr(attempt, f"allowance_{ALLOWANCE_KEYS[0]}"):
        return None
    values = {key: getattr(attempt, f"allowance_{key}") for key in ALLOWANCE_KEYS}
    return {key: value for key, value in values.items() if value is not None}


def attempt_lock(
    *,
    attempt_id: int | None = None,
    exam_id: int | None = None,
    user_id: int | None = None,
    cascading: bool = False,
    with_allowances: bool = False,
    current_only: bool = False,
    annotations: Mapping[str, Any] | None = None,
    related: tuple[str, ...] = (),
    deferred: tuple[str, ...] = (),
    viewer: tuple[str, str, str] | None = None,
) -> Attempt | None:
    """The attempt with this id, or the learner's current attempt on the exam, locked; None
    when there is none.

    ``cascading`` first locks the learner's attempts of the whole course, in id order (a
    decline's cascade will change them). ``with_allowances`` loads the learner's time
    allowances in the same statement (a start needs them); ``annotations``, what a caller's
    check of the locked attempt needs (``actions.AttemptGuard``), in the same statement too,
    and the relations it names in ``related`` joined (``select_related``: an exam's access
    rules, say), so that the check reads nothing more; the fields of those relations named
    in ``deferred`` are not read (the check does not need them: a shorter statement).
    ``viewer``, a verified token's issuer, subject and claims digest: the user of that
    platform identity, when it is active and had those claims applied, is read by the same
    statement as ``viewer_user_id`` (NULL else): the caller's identity costs no statement.
    """
    if attempt_id is not None:
        values: dict[str, Any] = {"pk": attempt_id}
    else:
        values = {"exam_id": exam_id, "user_id": user_id}
    if viewer is not None:
        values["issuer"], values["subject"], values["claims_digest"] = viewer
    if cascading:
        # Lock, in id order, the learner's current attempts of the whole course: a decline's
        # cascade will change them, and taking their locks up front and in one order keeps
        # two cascading declines from deadlocking (compiled once: cascade_sql.py).
        course_attempts_lock(values=values, current_only=current_only)

    def build(matched: Mapping[str, Any]) -> QuerySet[Attempt]:
        if attempt_id is not None:
            attempts = _locked().filter(pk=matched["pk"])
        else:
            attempts = _locked().filter(
                exam_id=matched["exam_id"], user_id=matched["user_id"], archived_at__isnull=True
            )
        if related:
            attempts = attempts.select_related(*related)
        if deferred:
            attempts = attempts.defer(*deferred)
        if with_allowances:
            attempts = _with_allowances(attempts)
        if annotations:
            attempts = attempts.annotate(**annotations)
        if viewer is not None:
            attempts = attempts.annotate(**{VIEWER_ANNOTATION: _viewer_user(matched)})
        return attempts

    # The SQL is compiled once per shape (lock_sql.py); the annotations' objects name theirs.
    named = tuple((name, id(value)) for name, value in (annotations or {}).items())
    shape = (attempt_id is not None, with_allowances, named, related, deferred, viewer is not None)
    key = ("attempt_lock", *shape)
    return lock_run(
        key=key, build=build, values=values, kept=annotations, unique=attempt_id is not None
    )


def attempt_lock_by_external_id(
    *, external_id: str, annotations: dict[str, Any] | None = None
) -> Attempt | None:
    """The attempt a provider names by its id (``external_id``), locked: the current one, else
    the latest archived one; None when there is none. ``annotations`` are loaded in the same
    statement (what the caller needs to decide, e.g. the latest review)."""
    found = _locked().filter(external_id=external_id)
    if annotations:
        found = found.annotate(**annotations)
    return found.order_by(F("archived_at").desc(nulls_first=True), "-id").first()


def attempts_lock_running(*, exam_id: int, user_id: int) -> Attempt | None:
    """The learner's running attempt on the exam, locked, or None."""
    return (
        _locked()
        .filter(
            exam_id=exam_id, user_id=user_id, archived_at__isnull=True, status__in=RUNNING_STATUSES
        )
        .first()
    )


def attempts_lock_running_of_exam(*, exam_id: int) -> list[Attempt]:
    """Every current, running attempt of the exam that has a deadline, locked, in id order
    (time added to all of them at once)."""
    return list(
        _locked()
        .filter(
            exam_id=exam_id,
            archived_at__isnull=True,
            status__in=sorted(RUNNING_STATUSES),
            deadline_at__isnull=False,
        )
        .order_by("id")
    )


def attempts_lock_overdue(*, cutoff: datetime, limit: int) -> list[Attempt]:
    """Up to ``limit`` running, unpaused, current attempts whose deadline is before ``cutoff``,
    oldest deadline first, locked.

    On PostgreSQL the rows another transaction holds are skipped (``SKIP LOCKED``), so several
    copies of the expiry job share the work and never take the same attempt.
    """
    overdue = (
        Attempt.objects.select_related("exam__course", "user")
        .filter(
            status__in=sorted(RUNNING_STATUSES),
            paused_at__isnull=True,
            archived_at__isnull=True,
            deadline_at__lt=cutoff,
        )
        .order_by("deadline_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        overdue = overdue.select_for_update(skip_locked=True, of=("self",))
    return list(overdue[:limit])


def attempts_lock_past_due(*, moment: datetime, limit: int) -> list[Attempt]:
    """Up to ``limit`` current attempts never started (created, download_software_clicked,
    ready_to_start) whose due date is ``moment`` or earlier, in id order, locked: the learner's
    extended due date when it has one (loaded as ``allowance_due_date_extension``), else the
    exam's.

    Extended due dates are stored in UTC in one ISO 8601 form (allowances/services.py), whose
    text order is the order in time; the caller checks the parsed dates again. On PostgreSQL
    the rows another transaction holds are skipped (``SKIP LOCKED``).
    """
    text = moment.astimezone(UTC).isoformat()
    past_due = (
        Attempt.objects.select_related("exam__course", "user")
        .annotate(**{EXTENSION: _allowance(DUE_DATE_EXTENSION)})
        .filter(status__in=sorted(NOT_STARTED), archived_at__isnull=True)
        .filter(
            Q(**{f"{EXTENSION}__isnull": True, "exam__due_date__lte": moment})
            | Q(**{f"{EXTENSION}__lte": text})
        )
        .order_by("id")
    )
    if connection.features.has_select_for_update_skip_locked:
        past_due = past_due.select_for_update(skip_locked=True, of=("self",))
    return list(past_due[:limit])
