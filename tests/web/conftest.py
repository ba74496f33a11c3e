"""A course world for the web UI's tests, platform launch tokens, and (for the browser tests
in tests/web/browser) one Chromium for the whole session."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from proctoring.courses.models import CourseRole
from tests.factories import CourseFactory, CourseRoleFactory, ExamFactory, UserFactory

JWT_SECRET = "test-platform-secret-of-at-least-32-bytes"
JWT_ISSUER = "https://lms.example.org"
JWT_AUDIENCE = "proctoring"
COURSE_ID = "course-v1:WebX+Proctoring+2026"
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _web_settings(settings):
    settings.PROCTORING_JWT_SECRET = JWT_SECRET
    settings.PROCTORING_JWT_ISSUER = JWT_ISSUER
    settings.PROCTORING_JWT_AUDIENCE = JWT_AUDIENCE
    settings.PROCTORING_JWT_JWKS_URL = ""
    settings.PROCTORING_JWT_LEEWAY_SECONDS = 30


def launch_token(sub: str, **claims: Any) -> str:
    """A platform launch token for ``sub``: two minutes valid, with a fresh ``jti``."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": sub,
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, JWT_SECRET, algorithm="HS256")


@dataclass
class World:
    course: Any
    exam: Any
    learner: Any
    other_learner: Any
    staff: Any
    outsider: Any


@pytest.fixture
def world(db) -> World:
    course = CourseFactory(course_id=COURSE_ID, display_name="Web Course")
    exam = ExamFactory(course=course, content_id="midterm", exam_name="Midterm", time_limit_mins=60)
    users = {}
    for name in ("learner", "other_learner", "staff", "outsider"):
        user = UserFactory(username=name.replace("_", ""))
        user.set_password(PASSWORD)
        user.save()
        users[name] = user
    for name in ("learner", "other_learner"):
        CourseRoleFactory(user=users[name], course=course, role=CourseRole.Role.LEARNER)
    CourseRoleFactory(user=users["staff"], course=course, role=CourseRole.Role.STAFF)
    return World(course=course, exam=exam, **users)
