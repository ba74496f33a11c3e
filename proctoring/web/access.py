"""Who may see and do what in the web UI: the same rules as the REST API's
(proctoring.rest.permissions): global staff manage every course, course staff theirs, as the
``instructor`` runtime service says; learners act on their own attempts only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from proctoring.courses.models import Course, CourseRole
from proctoring.rest.permissions import NOT_STAFF_MESSAGE
from proctoring.runtime import get_runtime_service


def user_id_of(request: HttpRequest) -> int:
    """The signed-in user's id (the views that call this require a signed-in user)."""
    return int(request.user.pk or 0)


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx made the request (it then swaps a part of the page)."""
    return bool(getattr(request, "htmx", False))


def is_course_staff(user: Any, course_id: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return bool(get_runtime_service("instructor").is_course_staff(user, course_id))


def check_course_staff(user: Any, course_id: str) -> None:
    """``PermissionDenied`` unless the user manages the course."""
    if not is_course_staff(user, course_id):
        raise PermissionDenied(NOT_STAFF_MESSAGE)


def staff_courses(user: Any) -> list[Course]:
    """The courses the user manages: every course for global staff, else those where the
    user holds a staff role."""
    if user.is_staff:
        return list(Course.objects.order_by("course_id"))
    return list(
        Course.objects.filter(
            roles__user_id=user.pk, roles__role__in=CourseRole.STAFF_ROLES
        ).order_by("course_id")
    )


def learner_courses(user: Any) -> list[Course]:
    """The courses the user is a learner of, with their active exams."""
    return list(
        Course.objects.filter(roles__user_id=user.pk, roles__role=CourseRole.Role.LEARNER)
        .prefetch_related("exams")
        .order_by("course_id")
    )
