"""Services for the wider levels of allowances: groups of learners (their members, their values
on an exam) and learners' course profiles (their values on every exam of a course).

Each change tells the allowance listeners (``ports.py``) which learners and exams it touched,
inside its transaction, so a running attempt's deadline follows at once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db import transaction

from proctoring.allowances.models import Allowance, CourseAllowance, GroupAllowance, GroupMember
from proctoring.allowances.ports import allowances_changed
from proctoring.allowances.services import allowance_value_clean, check_not_self
from proctoring.exams.models import Exam
from proctoring.exceptions import InvalidAllowance, UserNotFoundException

log = logging.getLogger(__name__)

GROUP_KEYS = (Allowance.Key.OPENS_AT, Allowance.Key.DUE_DATE_EXTENSION)
PROFILE_KEYS = (
    Allowance.Key.ADDITIONAL_TIME,
    Allowance.Key.TIME_MULTIPLIER,
    Allowance.Key.DUE_DATE_EXTENSION,
)
MAX_GROUP_NAME = 100
MAX_GROUP_SIZE = 5_000


def group_name_clean(group: str) -> str:
    if not group or len(group) > MAX_GROUP_NAME or "\x00" in group:
        raise InvalidAllowance(f"A group's name is 1 to {MAX_GROUP_NAME} characters.")
    return group


def group_member_ids(*, course_id: str, group: str) -> set[int]:
    return set(
        GroupMember.objects.filter(course_id=course_id, group=group).values_list(
            "user_id", flat=True
        )
    )


def group_members_set(*, course_id: str, group: str, usernames: Collection[str]) -> list[int]:
    """Make the group's members exactly these learners; return their ids.

    Unknown usernames are refused (``UserNotFoundException``), nothing changed.
    """
    group = group_name_clean(group)
    names = set(usernames)
    if len(names) > MAX_GROUP_SIZE:
        raise InvalidAllowance(f"A group has at most {MAX_GROUP_SIZE} members.")
    users = dict(get_user_model().objects.filter(username__in=names).values_list("username", "pk"))
    unknown = sorted(names - set(users))
    if unknown:
        raise UserNotFoundException(f"There is no user {unknown[0]!r}.")
    with transaction.atomic():
        before = group_member_ids(course_id=course_id, group=group)
        after = set(users.values())
        GroupMember.objects.filter(
            course_id=course_id, group=group, user_id__in=before - after
        ).delete()
        GroupMember.objects.bulk_create(
            [GroupMember(course_id=course_id, group=group, user_id=pk) for pk in after - before],
            ignore_conflicts=True,
        )
        exams = GroupAllowance.objects.filter(exam__course_id=course_id, group=group)
        exam_ids = set(exams.values_list("exam_id", flat=True))
        if exam_ids and before ^ after:
            allowances_changed(exam_ids=exam_ids, user_ids=before ^ after, actor_id=None)
    log.info("Group %s of %s: %s members", group, course_id, len(after))
    return sorted(after)


def group_allowance_set(
    *, exam: Exam, group: str, key: str, value: str | None, actor_id: int | None = None
) -> None:
    """Give the group its value of ``key`` on the exam, or remove it (``value=None``)."""
    group = group_name_clean(group)
    if key not in GROUP_KEYS:
        raise InvalidAllowance(f"A group's value is one of {', '.join(GROUP_KEYS)}.")
    with transaction.atomic():
        if value is None:
            GroupAllowance.objects.filter(exam=exam, group=group, key=key).delete()
        else:
            clean = allowance_value_clean(key=key, value=value)
            GroupAllowance.objects.update_or_create(
                exam=exam, group=group, key=key, defaults={"value": clean}
            )
        members = group_member_ids(course_id=exam.course_id, group=group)
        if members:
            allowances_changed(exam_ids=[exam.pk], user_ids=members, actor_id=actor_id)


def course_allowance_set(
    *, course_id: str, user_id: int, key: str, value: str | None, actor_id: int | None = None
) -> None:
    """Set (or remove, ``value=None``) the learner's course-profile value of ``key``: every
    exam of the course, present and future, where the learner has no value of its own."""
    check_not_self(user_id=user_id, actor_id=actor_id)
    if key not in PROFILE_KEYS:
        raise InvalidAllowance(f"A course profile's value is one of {', '.join(PROFILE_KEYS)}.")
    with transaction.atomic():
        if value is None:
            CourseAllowance.objects.filter(course_id=course_id, user_id=user_id, key=key).delete()
        else:
            clean = allowance_value_clean(key=key, value=value)
            CourseAllowance.objects.update_or_create(
                course_id=course_id, user_id=user_id, key=key, defaults={"value": clean}
            )
        exam_ids = set(Exam.objects.filter(course_id=course_id).values_list("id", flat=True))
        if exam_ids:
            allowances_changed(exam_ids=exam_ids, user_ids=[user_id], actor_id=actor_id)
    log.info("Course profile %s of user %s in %s: %s", key, user_id, course_id, value)


def course_profile(*, course_id: str, user_id: int) -> dict[str, str]:
    """The learner's accommodation profile in the course, as {key: value}."""
    return dict(
        CourseAllowance.objects.filter(course_id=course_id, user_id=user_id).values_list(
            "key", "value"
        )
    )
