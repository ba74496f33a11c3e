"""The ``instructor`` runtime service: who is course staff.

A platform replaces the local default (``LocalInstructorService``, the course-role table) with
``proctoring.runtime.set_runtime_service("instructor", service)``.
"""

from __future__ import annotations

from typing import Any, Protocol


class InstructorService(Protocol):
    def is_course_staff(self, user: Any, course_id: str) -> bool: ...
