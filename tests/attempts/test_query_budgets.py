"""The statements of each status change through the Python API: the attempt read and locked
once with what the change needs, its UPDATE, its history INSERT (issue 7's three), and its
event INSERT (the outbox's one more); the credit update leaves from the outbox after the
commit. Counted without the test's savepoints."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.allowances.models import Allowance
from proctoring.attempts.actions import attempt_act
from proctoring.attempts.services import attempt_create
from proctoring.core.clock import now
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import ExamPastDue
from proctoring.outbox.delivery import outbox_deliver
from tests.conftest import on_postgresql
from tests.factories import ExamFactory
from tests.write_shapes import change_kinds, change_statements

pytestmark = pytest.mark.django_db

CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


@pytest.mark.parametrize(
    ("from_status", "to_status", "credit_changes"),
    [
        ("created", "started", False),
        ("started", "ready_to_submit", False),
        ("ready_to_submit", "submitted", True),
        ("submitted", "verified", True),
        ("submitted", "rejected", True),
    ],
)
def test_a_status_change_takes_four_statements_then_its_credit_after_the_commit(
    course, learner, from_status, to_status, credit_changes
):
    exam = ExamFactory(course=course, content_id="budget", time_limit_mins=60)
    api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=False)
    if from_status != "created":
        api.update_attempt_status(exam.pk, learner.pk, "started")
        if from_status != "started":
            api.update_attempt_status(exam.pk, learner.pk, from_status)
    outbox_deliver()  # what came before is delivered
    with CaptureQueriesContext(connection) as queries:
        api.update_attempt_status(exam.pk, learner.pk, to_status)
    statements = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL
    ]
    # The lock, then the UPDATE, the history and event INSERTs (one statement on PostgreSQL).
    assert len(statements) == 1 + change_statements(), statements
    assert [s.split(" ")[0] for s in statements] == ["SELECT", *change_kinds()]
    assert "outbox_event" in statements[-1]
    before = CreditRequirementStatus.objects.filter(user=learner).values_list("status").first()
    outbox_deliver()
    after = CreditRequirementStatus.objects.filter(user=learner).values_list("status").first()
    assert (after != before) is credit_changes


def test_creating_an_attempt_takes_the_statements_it_needs(course, learner):
    """The exam with the user's existence and the next attempt number, the attempt, its
    history row: on PostgreSQL the attempt's INSERT and its history's are one statement."""
    exam = ExamFactory(course=course, content_id="create")
    with CaptureQueriesContext(connection) as queries:
        api.create_exam_attempt(exam.pk, learner.pk)
    statements = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL
    ]
    kinds = ["SELECT", "WITH"] if on_postgresql() else ["SELECT", "INSERT", "INSERT"]
    assert [s.split(" ")[0] for s in statements] == kinds, statements


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL]


def test_a_learners_start_checks_the_due_date_in_the_same_statements(course, learner):
    """Issue 8, item 13: the learner's start refuses a past-due exam from the exam and the
    allowances its lock loaded: still the lock, the UPDATE, the history and event INSERTs."""
    exam = ExamFactory(
        course=course, content_id="due", time_limit_mins=60, due_date=now() + timedelta(days=1)
    )
    Allowance.objects.create(
        exam=exam, user=learner, key="due_date_extension", value="2999-01-01T00:00:00+00:00"
    )
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    with CaptureQueriesContext(connection) as queries:
        attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    statements = _statements(queries)
    assert [s.split(" ")[0] for s in statements] == ["SELECT", *change_kinds()], statements


def test_a_learners_refused_start_of_a_past_due_exam_takes_only_its_lock(course, learner):
    exam = ExamFactory(course=course, content_id="past", due_date=now() - timedelta(days=1))
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    with CaptureQueriesContext(connection) as queries, pytest.raises(ExamPastDue):
        attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    assert len(_statements(queries)) == 1


def test_a_learners_submit_in_time_takes_four_statements(course, learner):
    """Issue 8, item 5: recognising an attempt already timed out reads nothing more for an
    attempt that is running."""
    exam = ExamFactory(course=course, content_id="submit", time_limit_mins=60)
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    with CaptureQueriesContext(connection) as queries:
        attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    statements = _statements(queries)
    assert [s.split(" ")[0] for s in statements] == ["SELECT", *change_kinds()], statements
