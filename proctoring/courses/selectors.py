"""Reads of courses and roles."""

from __future__ import annotations

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
