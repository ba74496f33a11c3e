"""core/inserts.py: rows of several models in one statement on PostgreSQL, one INSERT per
model elsewhere, each row as ``bulk_create`` would write it."""

from unittest import mock

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from proctoring.attempts.models import AttemptHistory
from proctoring.attempts.services import attempt_create
from proctoring.core import inserts
from proctoring.core.clock import now
from proctoring.core.inserts import row_insert, rows_insert
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


def _rows(attempt_id: int, statuses: list[str], events: int, cause: object = "t"):
    moment = now()
    history = [
        AttemptHistory(
            attempt_id=attempt_id, from_status="", to_status=s, changed_at=moment, cause=cause
        )
        for s in statuses
    ]
    written = [
        Event(
            type="attempt.status_changed",
            occurred_at=moment,
            course_id="c-shape",
            attempt_id=attempt_id,
            sequence=n,
            payload={"n": n, "statuses": statuses},
        )
        for n in range(events)
    ]
    return history, written


def test_each_shape_is_compiled_once_and_later_calls_write_the_same_rows():
    """The ORM compiles a shape (models and numbers of rows) once on PostgreSQL; later calls
    of the shape prepare their values themselves, one row or several (UNNEST) alike."""
    attempt = attempt_create(exam_id=ExamFactory().pk, user_id=UserFactory().pk)
    inserts.inserts_clear()
    with mock.patch.object(inserts, "_insert_sql", wraps=inserts._insert_sql) as compile_:
        for round_ in range(3):
            rows_insert(_rows(attempt.pk, ["created", f"started-{round_}"], 1))
            rows_insert(_rows(attempt.pk, [f"submitted-{round_}"], 3))
    if on_postgresql():
        assert compile_.call_count == 4  # two shapes of two models, once each
    stored = list(AttemptHistory.objects.filter(attempt=attempt, cause="t").order_by("id"))
    assert [row.to_status for row in stored][-3:] == ["created", "started-2", "submitted-2"]
    events = Event.objects.filter(course_id="c-shape").order_by("id")
    assert [event.payload["n"] for event in events] == [0, 0, 1, 2] * 3
    assert events.last().payload == {"n": 2, "statuses": ["submitted-2"]}
    assert len({event.event_id for event in events}) == 12


def test_a_row_holding_an_expression_is_compiled_by_the_orm():
    attempt = attempt_create(exam_id=ExamFactory().pk, user_id=UserFactory().pk)
    inserts.inserts_clear()
    rows_insert(_rows(attempt.pk, ["created"], 1))  # the shape, compiled
    with mock.patch.object(inserts, "_insert_sql", wraps=inserts._insert_sql) as compile_:
        rows_insert(_rows(attempt.pk, ["started"], 1, cause=Concat(Value("a"), Value("b"))))
    if on_postgresql():
        assert compile_.call_count == 2
    assert AttemptHistory.objects.get(attempt=attempt, to_status="started").cause == "ab"


def test_one_row_inserted_gets_its_id_and_its_insert_is_compiled_once():
    attempt = attempt_create(exam_id=ExamFactory().pk, user_id=UserFactory().pk)
    inserts.inserts_clear()
    rows = [
        AttemptHistory(attempt_id=attempt.pk, to_status=f"s{n}", changed_at=now(), cause="one")
        for n in range(3)
    ]
    saved = []
    model_save = AttemptHistory.save

    def save(self, *args, **kwargs):
        saved.append(self)
        return model_save(self, *args, **kwargs)

    with (
        mock.patch.object(inserts, "_returning_sql", wraps=inserts._returning_sql) as compile_,
        mock.patch.object(AttemptHistory, "save", save),
    ):
        for row in rows:
            row_insert(row)
    assert compile_.call_count == (1 if on_postgresql() else 0)  # elsewhere: ``save``
    # On PostgreSQL the compiled INSERT writes them, never the model's ``save``.
    assert len(saved) == (0 if on_postgresql() else 3)
    stored = AttemptHistory.objects.filter(attempt=attempt, cause="one").order_by("id")
    assert [row.pk for row in stored] == [row.pk for row in rows]
    assert [row.to_status for row in stored] == ["s0", "s1", "s2"]
    assert all(row._state.adding is False for row in rows)


@pytest.mark.parametrize("batches", [1, 2], ids=["history", "history-and-event"])
def test_statements_given_first_run_before_the_rows_in_the_same_statement(batches):
    """``first``: a change's UPDATE goes in the inserts' WITH clause on PostgreSQL (one
    statement in all), before them on SQLite."""
    from proctoring.attempts.models import Attempt
    from proctoring.attempts.update_sql import attempt_row_update_statement

    exam = ExamFactory()
    attempt = attempt_create(exam_id=exam.pk, user_id=UserFactory().pk)
    moment = now()
    update = attempt_row_update_statement(
        attempt_id=attempt.pk, values={"status": "started", "modified": moment}
    )
    history = [
        AttemptHistory(
            attempt_id=attempt.pk, from_status="created", to_status="started", changed_at=moment
        )
    ]
    event = Event(
        type="attempt.status_changed",
        occurred_at=moment,
        course_id=exam.course_id,
        attempt_id=attempt.pk,
        sequence=1,
        payload={"n": 1},
    )
    rows = [history, [event]][:batches]
    with CaptureQueriesContext(connection) as queries:
        rows_insert(rows, first=[update])
    sent = [q["sql"] for q in queries.captured_queries]
    if on_postgresql():
        assert len(sent) == 1 and sent[0].startswith('WITH u0 AS (UPDATE "attempts_attempt"')
    else:
        assert sent[0].startswith("UPDATE") and len(sent) == 1 + batches
    assert Attempt.objects.get(pk=attempt.pk).status == "started"
    assert AttemptHistory.objects.filter(attempt_id=attempt.pk, to_status="started").count() == 1
    assert Event.objects.filter(attempt_id=attempt.pk).count() == (batches - 1)


def test_statements_given_first_run_even_with_no_row():
    from proctoring.attempts.models import Attempt
    from proctoring.attempts.update_sql import attempt_row_update_statement

    attempt = attempt_create(exam_id=ExamFactory().pk, user_id=UserFactory().pk)
    update = attempt_row_update_statement(attempt_id=attempt.pk, values={"status": "started"})
    rows_insert([[]], first=[update])
    assert Attempt.objects.get(pk=attempt.pk).status == "started"


def test_a_row_with_its_key_given_is_an_insert_to_send_with_other_writes():
    """``row_insert_statement``: the INSERT of a row whose id the caller took beforehand (a
    staff review's record), run among ``rows_insert``'s ``first`` statements."""
    from proctoring.core.inserts import inserted, row_insert_statement

    attempt = attempt_create(exam_id=ExamFactory().pk, user_id=UserFactory().pk)
    taken = (AttemptHistory.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 50
    row = AttemptHistory(
        id=taken, attempt_id=attempt.pk, to_status="keyed", changed_at=now(), cause="k"
    )
    sql, params = row_insert_statement(row)
    assert sql.startswith("INSERT") and params[0] == taken
    with CaptureQueriesContext(connection) as queries:
        rows_insert([], first=[(sql, params)])
    inserted(row)
    assert len(queries.captured_queries) == 1 and row._state.adding is False
    assert AttemptHistory.objects.get(pk=taken).to_status == "keyed"
    expression = AttemptHistory(
        id=taken + 1, attempt_id=attempt.pk, to_status="x", changed_at=now(), cause=Value("e")
    )
    assert row_insert_statement(expression) is None  # the ORM's to insert


def test_a_batch_of_rows_goes_as_binary_arrays_on_postgresql():
    """Several rows of a model: one array per column (the ORM's UNNEST form), each sent in
    binary (core/pg_types.BinaryArray) on PostgreSQL."""
    from proctoring.core.pg_types import BinaryArray

    attempt = attempt_create(exam_id=ExamFactory().pk, user_id=UserFactory().pk)
    rows = [
        AttemptHistory(attempt_id=attempt.pk, to_status=f"b{n}", changed_at=now(), cause="b")
        for n in range(3)
    ]
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append(params)
        return execute(sql, params, many, context)

    events = [
        Event(
            type="attempt.status_changed",
            occurred_at=now(),
            course_id="c-b",
            attempt_id=attempt.pk,
            sequence=n,
            payload={"n": n},
        )
        for n in range(2)
    ]
    with connection.execute_wrapper(keep):
        rows_insert([rows, events])
    stored = AttemptHistory.objects.filter(attempt=attempt, cause="b").order_by("id")
    assert [row.to_status for row in stored] == ["b0", "b1", "b2"]
    assert [e.payload for e in Event.objects.filter(course_id="c-b").order_by("id")] == [
        {"n": 0},
        {"n": 1},
    ]
    if on_postgresql():
        (params,) = sent
        assert params and all(type(param) is BinaryArray for param in params)


def test_one_batch_alone_is_compiled_once_on_postgresql():
    """An event alone (an exam created, say): its INSERT compiled at the first call only on
    PostgreSQL; elsewhere bulk_create's."""
    exam = ExamFactory()
    inserts.inserts_clear()

    def event(n):
        return Event(
            type="exam.changed",
            occurred_at=now(),
            course_id="c-alone",
            attempt_id=None,
            sequence=n,
            payload={"exam_id": exam.pk, "n": n},
        )

    with mock.patch.object(inserts, "_insert_sql", wraps=inserts._insert_sql) as compile_:
        for n in range(3):
            rows_insert([[event(n)]])
    assert compile_.call_count == (1 if on_postgresql() else 0)
    stored = Event.objects.filter(course_id="c-alone").order_by("id")
    assert [e.payload["n"] for e in stored] == [0, 1, 2]
    assert len({e.event_id for e in stored}) == 3
