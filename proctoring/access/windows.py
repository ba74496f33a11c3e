"""Exam windows: when a learner may start an exam.

A window opens at the exam's opening time (its access rules) and closes at its due date. A
learner's own window, or its group's, overrides either end; both are allowances (keys
``opens_at`` and ``due_date_extension``, see proctoring/allowances), so the attempt's clock,
which is cut at the due date, reads the same due date as the gates. A window must open before
it closes (``InvalidWindow``); a learner may not get two group windows on one exam
(``WindowOverlap``): which one applies would be a guess.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from proctoring.allowances.levels import (
    group_allowance_set,
    group_member_ids,
    group_members_set,
)
from proctoring.allowances.models import Allowance, GroupAllowance, GroupMember
from proctoring.allowances.services import allowance_grant, allowance_revoke
from proctoring.attempts import time_math
from proctoring.exams.models import Exam
from proctoring.exceptions import (
    AllowanceNotFound,
    InvalidAccessRules,
    InvalidWindow,
    WindowOverlap,
)

OPENS_AT = Allowance.Key.OPENS_AT
DUE = Allowance.Key.DUE_DATE_EXTENSION


@dataclass(frozen=True)
class Window:
    """When a learner may start an exam: from ``opens_at`` (included) to ``due_at``
    (excluded); None is open-ended."""

    opens_at: datetime | None
    due_at: datetime | None

    def is_open(self, moment: datetime) -> bool:
        return not self.not_yet(moment) and not self.closed(moment)

    def not_yet(self, moment: datetime) -> bool:
        return self.opens_at is not None and moment < self.opens_at

    def closed(self, moment: datetime) -> bool:
        return self.due_at is not None and moment >= self.due_at


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def learner_window(
    *, exam: Exam, exam_opens_at: datetime | None, values: Mapping[str, str]
) -> Window:
    """The learner's window on the exam from its resolved allowance values (its own, its
    group's or its course profile's: ``allowance_values``)."""
    allowances = time_math.Allowances.from_values(values)
    return Window(
        opens_at=_parse(values.get(OPENS_AT)) or exam_opens_at,
        due_at=time_math.effective_due_date(exam_due_date=exam.due_date, allowances=allowances),
    )


def window_check(*, opens_at: datetime | None, due_at: datetime | None) -> None:
    """``InvalidWindow`` for a window that does not open before it closes."""
    opens_at, due_at = _in_utc(opens_at), _in_utc(due_at)
    if opens_at is not None and due_at is not None and opens_at >= due_at:
        raise InvalidWindow(
            f"The window would open at {opens_at.isoformat()} and close at "
            f"{due_at.isoformat()}: it must open before it closes."
        )


def _in_utc(moment: datetime | None) -> datetime | None:
    """The time in UTC; ``InvalidAccessRules`` without a zone or without a UTC equivalent
    (9999-12-31T23:59:59-14:00 would fall in the year 10000)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidAccessRules("A window's times need their time zone (ISO 8601 with offset).")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidAccessRules(
            "A window's times must fall within the years 1 to 9999 once written in UTC."
        ) from None


def _text(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def window_set_for_learner(
    *,
    exam: Exam,
    exam_opens_at: datetime | None,
    user_id: int,
    opens_at: datetime | None,
    due_at: datetime | None,
    actor_id: int | None,
) -> None:
    """The learner's own window on the exam; None for an end removes the learner's own value
    of it (the group's or the exam's applies again)."""
    window_check(opens_at=opens_at or exam_opens_at, due_at=due_at or exam.due_date)
    with transaction.atomic():
        for key, moment in ((OPENS_AT, opens_at), (DUE, due_at)):
            if moment is not None:
                allowance_grant(
                    exam=exam,
                    user_id=user_id,
                    key=key,
                    value=_text(moment) or "",
                    actor_id=actor_id,
                )
            else:
                with contextlib.suppress(AllowanceNotFound):  # none of its own: nothing to do
                    allowance_revoke(exam=exam, user_id=user_id, key=key, actor_id=actor_id)


def _overlapping(*, exam: Exam, group: str, user_ids: set[int]) -> int | None:
    """A learner among ``user_ids`` who belongs to another group with a window on the exam."""
    others = (
        GroupAllowance.objects.filter(exam=exam)
        .exclude(group=group)
        .values_list("group", flat=True)
    )
    return (
        GroupMember.objects.filter(course_id=exam.course_id, group__in=others, user_id__in=user_ids)
        .values_list("user_id", flat=True)
        .first()
    )


def window_set_for_group(
    *,
    exam: Exam,
    exam_opens_at: datetime | None,
    group: str,
    opens_at: datetime | None,
    due_at: datetime | None,
    actor_id: int | None,
) -> None:
    """The group's window on the exam (None for both ends removes it)."""
    window_check(opens_at=opens_at or exam_opens_at, due_at=due_at or exam.due_date)
    with transaction.atomic():
        if opens_at is not None or due_at is not None:
            members = group_member_ids(course_id=exam.course_id, group=group)
            clash = _overlapping(exam=exam, group=group, user_ids=members)
            if clash is not None:
                raise WindowOverlap(
                    f"User {clash} of group {group!r} is in another group with a window on "
                    f"exam {exam.pk}: a learner gets one group window per exam."
                )
        for key, moment in ((OPENS_AT, opens_at), (DUE, due_at)):
            group_allowance_set(
                exam=exam, group=group, key=key, value=_text(moment), actor_id=actor_id
            )


def windows_check_members(*, course_id: str, group: str, user_ids: set[int]) -> None:
    """Before a group gets these members: ``WindowOverlap`` when one of them would get two
    group windows on one exam."""
    windowed = GroupAllowance.objects.filter(exam__course_id=course_id, group=group)
    for exam in Exam.objects.filter(pk__in=windowed.values("exam_id")):
        clash = _overlapping(exam=exam, group=group, user_ids=user_ids)
        if clash is not None:
            raise WindowOverlap(
                f"User {clash} is in another group with a window on exam {exam.pk}: a learner "
                "gets one group window per exam."
            )


def group_members_set_checked(*, course_id: str, group: str, usernames: list[str]) -> list[int]:
    """Make the group's members exactly these learners, unless one of them would get two
    group windows on one exam (``WindowOverlap``); return their ids."""
    user_ids = set(
        get_user_model().objects.filter(username__in=usernames).values_list("pk", flat=True)
    )
    with transaction.atomic():
        windows_check_members(course_id=course_id, group=group, user_ids=user_ids)
        return group_members_set(course_id=course_id, group=group, usernames=usernames)
