"""Personas, tokens and a small course world for the REST API tests."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from pytest_django.live_server_helper import LiveServer
from rest_framework.test import APIClient

from proctoring.accounts.services import api_key_create
from proctoring.attempts.services import attempt_create
from tests.factories import CourseFactory, CourseRoleFactory, ExamFactory, UserFactory

JWT_SECRET = "test-platform-secret-of-at-least-32-bytes"
JWT_ISSUER = "https://lms.example.org"
JWT_AUDIENCE = "proctoring"
COURSE_ID = "course-v1:edX+DemoX+Demo"
OTHER_COURSE_ID = "course-v1:Other+X+2026"


@pytest.fixture(autouse=True)
def _jwt_settings(settings):
    settings.PROCTORING_JWT_SECRET = JWT_SECRET
    settings.PROCTORING_JWT_ISSUER = JWT_ISSUER
    settings.PROCTORING_JWT_AUDIENCE = JWT_AUDIENCE
    settings.PROCTORING_JWT_JWKS_URL = ""
    settings.PROCTORING_JWT_LEEWAY_SECONDS = 30


def mint(sub: str, *, key: Any = JWT_SECRET, algorithm: str = "HS256", headers=None, **claims):
    """A platform token for ``sub``, valid for an hour unless the claims say otherwise."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": sub,
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api():
    return APIClient()


@dataclass
class World:
    """Course A with its two learners, its staff, an exam and the learner's attempt; course B
    with its staff (neither learner is enrolled in B)."""

    course: Any
    exam: Any
    learner: Any
    other_learner: Any
    staff: Any
    other_staff: Any
    global_staff: Any
    service_key: str
    attempt: Any
    other_course: Any
    other_exam: Any


@pytest.fixture
def world(db) -> World:
    course = CourseFactory(course_id=COURSE_ID, display_name="Demo")
    other_course = CourseFactory(course_id=OTHER_COURSE_ID, display_name="Other")
    exam = ExamFactory(course=course, content_id="midterm", exam_name="Midterm", time_limit_mins=60)
    other_exam = ExamFactory(course=other_course, content_id="final", exam_name="Final")
    learner = UserFactory(username="alice", email="alice@example.org")
    other_learner = UserFactory(username="bob", email="bob@example.org")
    CourseRoleFactory(user=learner, course=course, role="learner")
    CourseRoleFactory(user=other_learner, course=course, role="learner")
    staff = UserFactory(username="carol")
    CourseRoleFactory(user=staff, course=course, role="staff")
    other_staff = UserFactory(username="dave")
    CourseRoleFactory(user=other_staff, course=other_course, role="instructor")
    global_staff = UserFactory(username="erin", is_staff=True)
    _, service_key = api_key_create(name="lms")
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    return World(
        course=course,
        exam=exam,
        learner=learner,
        other_learner=other_learner,
        staff=staff,
        other_staff=other_staff,
        global_staff=global_staff,
        service_key=service_key,
        attempt=attempt,
        other_course=other_course,
        other_exam=other_exam,
    )


def client_for(world: World, persona: str) -> APIClient:
    """A client authenticated as a persona: a session for people, the API key for the service."""
    client = APIClient()
    if persona == "service":
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.service_key}")
    elif persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def _free_port(first: int = 8400, last: int = 8499) -> int:
    for port in range(first, last + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8400-8499 for the live server.")


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, on a free port of 8400-8499 (the range of these tests)."""
    server = LiveServer(f"127.0.0.1:{_free_port()}")
    yield server
    server.stop()
