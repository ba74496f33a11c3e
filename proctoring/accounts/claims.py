"""The claims of a verified platform token: checked, typed, and fit for the columns they fill.

A claim the service stores must be a string that fits its column and holds no control
character (NUL cannot even be stored by PostgreSQL); anything else refuses the token.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from proctoring.courses.models import CourseRole

MAX_COURSE_ROLES_CLAIM = 1000
SUBJECT_MAX_LENGTH = 255  # PlatformIdentity.subject
USERNAME_MAX_LENGTH = 150  # User.username
EMAIL_MAX_LENGTH = 254  # User.email
NAME_MAX_LENGTH = 150  # User.first_name
COURSE_ID_MAX_LENGTH = 255  # Course.course_id
# Control characters (Cc: NUL, tabs, line breaks, DEL, C1) and lone surrogates (Cs), which
# no database column can hold as text.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
# The code points of those two categories, which Unicode's stability policy keeps fixed
# (a test holds this equal to ``unicodedata``): one regex search instead of a category
# look-up per character of every claim of a token new to the process.
_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class InvalidClaims(ValueError):
    """A platform token whose claims are missing, of the wrong type, or do not fit."""


@dataclass(frozen=True)
class PlatformClaims:
    """What a platform token says about its user."""

    issuer: str
    subject: str
    username: str
    email: str = ""
    name: str = ""
    administrator: bool = False
    # course_id -> role, or None to revoke the user's role in that course.
    course_roles: dict[str, str | None] | None = field(default=None)

    def digest(self) -> str:
        data = [self.email, self.name, self.administrator, self.course_roles]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def has_control_characters(value: str) -> bool:
    """Whether the text holds a character of ``_REFUSED_CATEGORIES``."""
    return _REFUSED.search(value) is not None


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    """The claim's text, or ``InvalidClaims`` when it is not a string fit to store."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        size = "a non-empty string" if required else "a string"
        raise InvalidClaims(f"The {name} claim must be {size} of at most {limit} characters.")
    if has_control_characters(value):
        raise InvalidClaims(f"The {name} claim must not hold control characters.")
    return value


def _course_roles(roles: Any) -> dict[str, str | None] | None:
    if roles is None:
        return None
    if not isinstance(roles, dict) or len(roles) > MAX_COURSE_ROLES_CLAIM:
        raise InvalidClaims(
            f"The course_roles claim must be an object {{course_id: role}} of at most "
            f"{MAX_COURSE_ROLES_CLAIM} entries."
        )
    valid_roles = sorted(CourseRole.Role.values)
    for course_id, role in roles.items():
        _text(course_id, "course_roles", COURSE_ID_MAX_LENGTH, required=True)
        if role is not None and (not isinstance(role, str) or role not in valid_roles):
            raise InvalidClaims(
                f"The course_roles claim has an invalid entry for {course_id!r}: roles are "
                f"{', '.join(valid_roles)} or null."
            )
    return dict(roles)


def platform_claims_parse(*, payload: dict[str, Any], issuer: str) -> PlatformClaims:
    """Check the claims of a verified token and return what they say."""
    subject = _text(payload.get("sub"), "sub", SUBJECT_MAX_LENGTH, required=True)
    administrator = payload.get("administrator", False)
    if not isinstance(administrator, bool):
        raise InvalidClaims("The administrator claim must be a boolean.")
    username = _text(payload.get("preferred_username"), "preferred_username", USERNAME_MAX_LENGTH)
    return PlatformClaims(
        issuer=issuer,
        subject=subject,
        username=username or subject[:USERNAME_MAX_LENGTH],
        email=_text(payload.get("email"), "email", EMAIL_MAX_LENGTH),
        name=_text(payload.get("name"), "name", NAME_MAX_LENGTH),
        administrator=administrator,
        course_roles=_course_roles(payload.get("course_roles")),
    )
