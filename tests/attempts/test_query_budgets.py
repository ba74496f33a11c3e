"""The statements of each status change through the Python API (issue 7's budget): the
attempt read and locked once with what the change needs, its UPDATE, its history INSERT; the
credit update after the commit. Counted without the test's savepoints."""

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from proctoring import api
from tests.factories import ExamFactory

pytestmark = pytest.mark.django_db

CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


@pytest.mark.parametrize(
    ("from_status", "to_status", "credit"),
    [
        ("created", "started", False),
        ("started", "ready_to_submit", False),
        ("ready_to_submit", "submitted", True),
        ("submitted", "verified", True),
        ("submitted", "rejected", True),
    ],
)
def test_a_status_change_takes_three_statements_then_its_credit_after_the_commit(
    course, learner, from_status, to_status, credit
):
    exam = ExamFactory(course=course, content_id="budget", time_limit_mins=60)
    api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=False)
    if from_status != "created":
        api.update_attempt_status(exam.pk, learner.pk, "started")
        if from_status != "started":
            api.update_attempt_status(exam.pk, learner.pk, from_status)
    with (
        CaptureQueriesContext(connection) as queries,
        TestCase.captureOnCommitCallbacks(execute=False) as callbacks,
    ):
        api.update_attempt_status(exam.pk, learner.pk, to_status)
    statements = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL
    ]
    assert len(statements) == 3, statements
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "UPDATE", "INSERT"]
    with CaptureQueriesContext(connection) as delivery:
        for callback in callbacks:
            callback()
    assert len(delivery.captured_queries) == (1 if credit else 0)


def test_creating_an_attempt_takes_the_statements_it_needs(course, learner):
    """The exam, the user, the next attempt number, the attempt and its history row."""
    exam = ExamFactory(course=course, content_id="create")
    with CaptureQueriesContext(connection) as queries:
        api.create_exam_attempt(exam.pk, learner.pk)
    statements = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL
    ]
    assert len(statements) == 5, statements
