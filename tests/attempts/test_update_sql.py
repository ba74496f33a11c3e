"""A single locked attempt's change is written by an UPDATE compiled once per set of columns
(attempts/update_sql.py), with plain values: the row stored is the attempt in memory."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring.attempts.actions import attempt_act
from proctoring.attempts.models import Attempt
from proctoring.attempts.services import attempt_create
from proctoring.exceptions import AttemptDeadlinePassed
from tests.factories import ExamFactory

pytestmark = pytest.mark.django_db
WRITTEN = (
    "status",
    "modified",
    "event_sequence",
    "started_at",
    "completed_at",
    "deadline_at",
    "allowed_time_seconds",
    "time_limit_mins",
)


def _updates(queries):
    """The attempts' UPDATEs: alone, or first in the change's one statement (PostgreSQL)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("UPDATE", 'WITH u0 AS (UPDATE "attempts_attempt"'))
    ]


def _same(attempt):
    stored = Attempt.objects.get(pk=attempt.pk)
    assert {name: getattr(stored, name) for name in WRITTEN} == {
        name: getattr(attempt, name) for name in WRITTEN
    }


def test_a_start_and_a_submit_write_plain_values_equal_to_the_attempt_in_memory(
    course, learner, clock
):
    exam = ExamFactory(course=course, content_id="plain", time_limit_mins=30)
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    for action in ("start", "submit"):
        clock.advance(minutes=5)
        with CaptureQueriesContext(connection) as queries:
            changed = attempt_act(attempt_id=attempt.pk, action=action, actor_id=learner.pk)
        (update,) = _updates(queries)
        assert "CASE" not in update and "COALESCE" not in update.upper(), update
        _same(changed)
    assert changed.status == "submitted" and changed.event_sequence == 2


def test_a_late_submit_times_out_at_the_deadline_as_the_expression_would(
    course, learner, clock, grace
):
    exam = ExamFactory(course=course, content_id="late", time_limit_mins=30)
    attempt = attempt_create(exam_id=exam.pk, user_id=learner.pk)
    started = attempt_act(attempt_id=attempt.pk, action="start", actor_id=learner.pk)
    clock.advance(minutes=30, seconds=grace + 60)
    with pytest.raises(AttemptDeadlinePassed):
        attempt_act(attempt_id=attempt.pk, action="submit", actor_id=learner.pk)
    stored = Attempt.objects.get(pk=attempt.pk)
    assert stored.status in {"timed_out", "submitted"}
    assert stored.completed_at == started.deadline_at  # the deadline, not the moment


def test_many_locked_attempts_are_one_update_of_their_own_values_on_postgresql():
    """attempt_rows_update_statement: each row's values (here each its own event sequence)
    in arrays, one UPDATE; None on SQLite, where the ORM's UPDATE writes them."""
    from django.utils import timezone

    from proctoring.attempts.update_sql import attempt_rows_update_statement
    from tests.factories import UserFactory

    exam = ExamFactory()
    attempts = [attempt_create(exam_id=exam.pk, user_id=UserFactory().pk) for _ in range(3)]
    moment = timezone.now()
    rows = [
        (attempt.pk, {"status": "declined", "modified": moment, "event_sequence": 7 + n})
        for n, attempt in enumerate(attempts)
    ]
    statement = attempt_rows_update_statement(rows)
    if connection.vendor != "postgresql":
        assert statement is None
        return
    sql, params = statement
    assert sql.startswith('UPDATE "attempts_attempt" AS t') and "UNNEST(" in sql
    assert len(params) == 4 and params[0] == [attempt.pk for attempt in attempts]
    assert attempt_rows_update_statement(rows[:1])[0] == sql  # one text whatever the rows
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    stored = Attempt.objects.filter(pk__in=[a.pk for a in attempts]).order_by("pk")
    assert [(a.status, a.modified, a.event_sequence) for a in stored] == [
        ("declined", moment, 7 + n) for n in range(3)
    ]
