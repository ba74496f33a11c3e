"""The local default of the ``instructor`` runtime service."""

from __future__ import annotations

from typing import Any

from proctoring.courses.selectors import course_role_is_staff


class LocalInstructorService:
    """Answers from the course-role table."""

    def is_course_staff(self, user: Any, course_id: str) -> bool:
        return course_role_is_staff(user=user, course_id=course_id)
