"""Checking ids that callers pass, so a bad id is a clear error and never a crash."""

from __future__ import annotations

import re
from typing import Any


def as_id(value: Any) -> int | None:
    """The positive integer id that ``value`` names, or None when it names none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
        return number if 0 < number < 2**63 else None
    return None


# A course id: the platform's own id, in one of the two shapes of Open edX course keys:
# one segment (``course-v1:edX+DemoX+Demo_Course``) or the old three segments
# ``Org/Number/Run`` (``edX/DemoX/Demo_Course``). A segment is made of ASCII letters, digits
# and ``. _ : + ~ @ -`` and is not only dots; the middle segment of the old shape is not one of
# the words that name what lies under a course in the REST API's paths (``exams`` ...), so
# that ``courses/A/exams/abc`` can never be read as a course. At most 255 characters.
COURSE_ID_MAX_LENGTH = 255
COURSE_ID_RESERVED_SEGMENTS = ("roles", "exams", "allowances", "attempts")
_CHAR = r"[A-Za-z0-9._:+~@-]"
_RESERVED = "|".join(COURSE_ID_RESERVED_SEGMENTS)
COURSE_ID_PATTERN = (
    rf"^(?!\.+(?:/|$)){_CHAR}+"
    rf"(?:/(?!(?:{_RESERVED})/)(?!\.+/){_CHAR}+/(?!\.+$){_CHAR}+)?$"
)
_COURSE_ID = re.compile(COURSE_ID_PATTERN)


def is_course_id(value: Any) -> bool:
    """Whether ``value`` is a course id of the grammar above."""
    return (
        isinstance(value, str)
        and len(value) <= COURSE_ID_MAX_LENGTH
        and _COURSE_ID.fullmatch(value) is not None
    )
