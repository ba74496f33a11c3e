"""``create_exam``'s statements, compiled once (core/inserts.py): the course read, then
the exam and its event in one transaction; the course created on first sight only."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.core import inserts
from proctoring.courses.models import Course
from proctoring.exams.models import Exam
from proctoring.outbox.models import Event

pytestmark = pytest.mark.django_db
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
COURSE = "course-v1:Org+Statements+Run"


def _data(queries):
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(CONTROL)]


def test_the_exam_row_is_the_orms():
    exam_id = api.create_exam(COURSE, "block-a", "A", 30, is_practice_exam=True, backend="x")
    exam = Exam.objects.get(pk=exam_id)
    assert (exam.course_id, exam.content_id, exam.exam_name) == (COURSE, "block-a", "A")
    assert exam.time_limit_mins == 30 and exam.is_practice_exam and exam.is_proctored
    assert exam.backend == "x" and exam.external_id is None and not exam.is_onboarding
    assert exam.created is not None and exam.modified >= exam.created
    assert Course.objects.filter(course_id=COURSE).count() == 1
    assert Event.objects.filter(type="exam.changed", payload__exam_id=exam_id).count() == 1


def test_a_known_course_is_read_once_and_the_inserts_written_once():
    api.create_exam(COURSE, "block-a", "A", 30)
    with (
        mock.patch.object(inserts, "_returning_sql", wraps=inserts._returning_sql) as compile_,
        CaptureQueriesContext(connection) as queries,
    ):
        api.create_exam(COURSE, "block-b", "B", 30)
    kinds = [sql.split(" ")[0] for sql in _data(queries)]
    assert kinds == ["SELECT", "INSERT", "INSERT"], _data(queries)
    assert compile_.call_count == 0  # the exam's INSERT: compiled at the first exam


def test_a_new_course_is_read_once_then_created():
    with CaptureQueriesContext(connection) as queries:
        api.create_exam("course-v1:Org+New+Run", "block-a", "A", 30)
    kinds = [sql.split(" ")[0] for sql in _data(queries)]
    assert kinds == ["SELECT", "INSERT", "INSERT", "INSERT"], _data(queries)
    assert Course.objects.filter(course_id="course-v1:Org+New+Run").exists()
