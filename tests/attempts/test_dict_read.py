"""The API's attempt dicts read without the ORM (attempts/dict_read.py): the same dicts as
``attempt_to_dict`` of the ORM's attempt, in one statement whose SQL is written once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.attempts import dict_read
from proctoring.attempts.models import Attempt
from proctoring.attempts.selectors import (
    ATTEMPT_FIELDS,
    attempt_get_by_code,
    attempt_get_by_id,
    attempt_get_current,
    attempt_to_dict,
)
from tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempts(learner):
    """An archived attempt and the current one of the learner, with every kind of value set
    (dates, booleans, nulls, an exam with a due date, an external id, a backend)."""
    exam = ExamFactory(
        due_date=datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        external_id="ext-exam",
        backend="software_secure",
        is_practice_exam=True,
        time_limit_mins=None,
    )
    first = api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    Attempt.objects.filter(pk=first).update(
        archived_at=datetime.now(UTC) - timedelta(days=1), external_id="session-1"
    )
    second = api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    return exam, first, second


def test_the_dicts_are_the_orms(attempts, learner):
    exam, first, second = attempts
    current = attempt_get_current(exam_id=exam.pk, user_id=learner.pk)
    assert current is not None and current.pk == second
    assert api.get_exam_attempt(exam.pk, learner.pk) == attempt_to_dict(current)
    for pk in (first, second):
        orm = attempt_get_by_id(attempt_id=pk)
        assert orm is not None
        assert api.get_exam_attempt_by_id(pk) == attempt_to_dict(orm)
        by_code = attempt_get_by_code(attempt_code=orm.attempt_code)
        assert by_code is not None
        assert api.get_exam_attempt_by_code(orm.attempt_code) == attempt_to_dict(by_code)
    found = api.get_exam_attempt(exam.pk, learner.pk)
    assert found is not None
    # The values have the ORM's types, not the driver's raw ones (SQLite's text dates, 0/1).
    assert found["started_at"].tzinfo is not None and found["completed_at"] is not None
    assert found["is_sample_attempt"] is True and found["taking_as_proctored"] is False
    assert found["proctored_exam"]["due_date"] == exam.due_date
    assert found["proctored_exam"]["time_limit_mins"] is None
    assert list(found) == [*ATTEMPT_FIELDS, "proctored_exam"]


def test_none_when_nothing_matches(attempts, learner):
    exam, _first, _second = attempts
    other = UserFactory()
    assert api.get_exam_attempt(exam.pk, other.pk) is None
    assert api.get_exam_attempt(exam.pk + 1000, learner.pk) is None
    assert api.get_exam_attempt("abc", learner.pk) is None
    assert api.get_exam_attempt_by_id(10**9) is None
    assert api.get_exam_attempt_by_id("x") is None
    assert api.get_exam_attempt_by_code("no-such-code") is None
    assert api.get_exam_attempt_by_code(42) is None  # type: ignore[arg-type]


def test_one_statement_written_once(attempts, learner):
    exam, _first, _second = attempts
    api.get_exam_attempt(exam.pk, learner.pk)
    written = dict_read._statement.cache_info().misses
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert api.get_exam_attempt(exam.pk, learner.pk) is not None
    assert len(captured.captured_queries) == 3
    # One attempt matches at most (one_current_attempt): no sort of the one row.
    assert "ORDER BY" not in captured.captured_queries[0]["sql"]
    assert dict_read._statement.cache_info().misses == written
