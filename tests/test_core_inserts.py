"""core/inserts.py: rows of several models in one statement on PostgreSQL, one INSERT per
model elsewhere, each row as ``bulk_create`` would write it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring.attempts.models import AttemptHistory
from proctoring.attempts.services import attempt_create
from proctoring.core.clock import now
from proctoring.core.inserts import rows_insert
from proctoring.outbox.models import Event
from tests.conftest import on_postgresql
from tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_rows_of_two_models_are_written_in_one_statement_on_postgresql():
    exam = ExamFactory()
    attempt = attempt_create(exam_id=exam.pk, user_id=UserFactory().pk)
    moment = now()
    history = [
        AttemptHistory(
            attempt_id=attempt.pk, from_status="", to_status=status, changed_at=moment, cause="t"
        )
        for status in ("created", "started")
    ]
    events = [
        Event(
            type="attempt.status_changed",
            occurred_at=attempt.created,
            course_id="c-1",
            attempt_id=attempt.pk,
            sequence=1,
            payload={"n": 1},
        )
    ]
    before = AttemptHistory.objects.filter(attempt=attempt).count()
    with CaptureQueriesContext(connection) as queries:
        rows_insert([history, [], events])
    written = [q["sql"] for q in queries.captured_queries]
    assert len(written) == (1 if on_postgresql() else 2), written
    assert written[0].startswith("WITH") is on_postgresql()
    stored = AttemptHistory.objects.filter(attempt=attempt).order_by("id")
    assert stored.count() == before + 2
    assert [row.to_status for row in stored][-2:] == ["created", "started"]
    assert stored.last().changed_at == moment
    event = Event.objects.get(attempt_id=attempt.pk, course_id="c-1")
    assert (event.payload, event.sequence) == ({"n": 1}, 1)
    assert event.event_id == events[0].event_id  # the field's default, made in Python


def test_nothing_to_insert_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        rows_insert([[], []])
    assert not queries.captured_queries
