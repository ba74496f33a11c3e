"""Reads of courses and roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from proctoring.courses.models import Course, CourseRole
from proctoring.exceptions import CourseNotFound


def course_role_is_staff(*, user: AbstractBaseUser | AnonymousUser, course_id: str) -> bool:
    """Whether the user may manage the course: global staff, or staff/instructor of it."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False):
        return True
    return CourseRole.objects.filter(
        user_id=user.pk, course_id=course_id, role__in=CourseRole.STAFF_ROLES
    ).exists()


def course_role_is_member(*, user_id: int, course_id: str) -> bool:
    """Whether the user is enrolled in the course: any role in it (learner, staff, instructor)."""
    return CourseRole.objects.filter(user_id=user_id, course_id=course_id).exists()


def course_get(*, course_id: str) -> Course:
    """The course, or ``CourseNotFound``."""
    course = Course.objects.filter(course_id=course_id).first()
    if course is None:
        raise CourseNotFound(f"There is no course {course_id!r}.")
    return course


def course_staff_emails(*, course_ids: Iterable[str]) -> dict[str, list[str]]:
    """The email addresses of each course's staff and instructors (one statement), sorted;
    staff without an address are left out."""
    emails: dict[str, list[str]] = {}
    rows = (
        CourseRole.objects.filter(course_id__in=set(course_ids), role__in=CourseRole.STAFF_ROLES)
        .exclude(user__email="")
        .values_list("course_id", "user__email")
        .order_by("course_id", "user__email")
    )
    for course_id, email in rows:
        emails.setdefault(str(course_id), []).append(email)
    return emails
