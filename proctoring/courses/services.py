"""Services that write courses and course roles."""

from __future__ import annotations

from typing import Any

from proctoring.courses.models import Course, CourseRole


def course_get_or_create(*, course_id: str) -> Course:
    """The course with this id, created with no display name on first sight."""
    course, _ = Course.objects.get_or_create(course_id=course_id)
    return course


def course_update_or_create(
    *, course_id: str, display_name: str | None = None, provider: str | None = None
) -> Course:
    defaults: dict[str, Any] = {}
    if display_name is not None:
        defaults["display_name"] = display_name
    if provider is not None:
        defaults["provider"] = provider
    course, _ = Course.objects.update_or_create(course_id=course_id, defaults=defaults)
    return course


def course_role_grant(*, user_id: int, course_id: str, role: str) -> CourseRole:
    course_get_or_create(course_id=course_id)
    course_role, _ = CourseRole.objects.update_or_create(
        user_id=user_id, course_id=course_id, defaults={"role": role}
    )
    return course_role


def course_role_revoke(*, user_id: int, course_id: str) -> bool:
    deleted, _ = CourseRole.objects.filter(user_id=user_id, course_id=course_id).delete()
    return deleted > 0
