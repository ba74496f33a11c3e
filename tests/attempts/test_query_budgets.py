"""The statements of each status change through the Python API: the attempt read and locked
once with what the change needs, its UPDATE, its history INSERT (issue 7's three), and its
event INSERT (the outbox's one more); the credit update leaves from the outbox after the
commit. Counted without the test's savepoints."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.credit.models import CreditRequirementStatus
from proctoring.outbox.delivery import outbox_deliver
from tests.factories import ExamFactory

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
    assert len(statements) == 4, statements
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "UPDATE", "INSERT", "INSERT"]
    assert "outbox_event" in statements[3]
    before = CreditRequirementStatus.objects.filter(user=learner).values_list("status").first()
    outbox_deliver()
    after = CreditRequirementStatus.objects.filter(user=learner).values_list("status").first()
    assert (after != before) is credit_changes


def test_creating_an_attempt_takes_the_statements_it_needs(course, learner):
    """The exam, the user, the next attempt number, the attempt and its history row."""
    exam = ExamFactory(course=course, content_id="create")
    with CaptureQueriesContext(connection) as queries:
        api.create_exam_attempt(exam.pk, learner.pk)
    statements = [
        q["sql"] for q in queries.captured_queries if q["sql"].split(" ")[0] not in CONTROL
    ]
    assert len(statements) == 5, statements
