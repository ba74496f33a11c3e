from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import TestCase

from proctoring.outbox.delivery import outbox_deliver
from proctoring.runtime import set_runtime_service
from tests.factories import CourseFactory, ExamFactory, UserFactory


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _default_runtime_services():
    """Every test starts and ends with the local default runtime services."""
    for name in ("credit", "instructor"):
        set_runtime_service(name, None)
    yield
    for name in ("credit", "instructor"):
        set_runtime_service(name, None)


@pytest.fixture
def learner(db):
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def other_learner(db):
    return UserFactory(username="bob", email="bob@example.org")


@pytest.fixture
def course(db):
    return CourseFactory(course_id="course-v1:edX+DemoX+Demo", display_name="Demo Course")


@pytest.fixture
def exam(course):
    """A proctored, active, non-practice exam of the course."""
    return ExamFactory(course=course, content_id="midterm", exam_name="Midterm")


@contextmanager
def committed():
    """The code inside commits (its on-commit callbacks run: the test's transaction never
    does), then the outbox delivers what it recorded (credit updates, emails, webhooks)."""
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        yield callbacks
    outbox_deliver()


@pytest.fixture(autouse=True)
def _fresh_auth_cache():
    """What authentication (and the poll) learned stays in its test: ids are reused after
    each rollback."""
    from proctoring.attempts.poll_read import forget_started
    from proctoring.rest.auth_cache import auth_cache

    auth_cache.clear()
    forget_started()
    yield
    auth_cache.clear()
    forget_started()
