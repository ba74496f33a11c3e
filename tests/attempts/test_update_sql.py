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
