import pytest
from django.db import connection

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
