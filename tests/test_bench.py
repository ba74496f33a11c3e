"""The bench command: its JSON document, and the query budgets it measures."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from proctoring.devtools.bench_floor import statement_kind
from proctoring.devtools.management.commands.bench import OPERATIONS
from tests.conftest import on_postgresql

# Statements per call, BEGIN and COMMIT included (Django logs them on both databases): BEGIN,
# the attempt locked with what the change needs, its UPDATE, its history INSERT and its event
# INSERT (the outbox: one statement on PostgreSQL, a WITH clause), COMMIT; credit and email
# leave from the outbox afterwards.
START_SUBMIT_BUDGET_POSTGRESQL = 4
START_SUBMIT_BUDGET_SQLITE = 6
STATUS_CHANGE_QUERIES_POSTGRESQL = {"start": 4, "submit": 4, "verify": 4, "reject": 4}
STATUS_CHANGE_QUERIES_SQLITE = {"start": 6, "submit": 6, "verify": 6, "reject": 6}
READ_BUDGET = 2
DECLINE_CASCADE_BUDGET = 12  # a constant: the cascade over 10 exams is done in bulk


@pytest.fixture
def report(transactional_db, tmp_path):
    out = StringIO()
    output = tmp_path / "bench.json"
    call_command("bench", learners=3, exams=2, output=str(output), stdout=out)
    document = json.loads(out.getvalue())
    assert json.loads(output.read_text(encoding="utf-8")) == document
    return document


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_bench_reports_every_operation_with_numbers(report):
    assert report["database"]["vendor"] in {"sqlite", "postgresql"}
    assert report["django"] and report["python"]
    assert report["workload"]["learners"] == 3
    assert list(report["operations"]) == list(OPERATIONS)
    for name, row in report["operations"].items():
        assert row["count"] > 0, name
        for key in ("count", "seconds", "ops_per_second", "mean_ms", "p95_ms"):
            assert _is_number(row[key]), (name, key)
        for key in ("mean", "min", "max"):
            assert _is_number(row["queries_per_op"][key]), (name, key)
            assert _is_number(row["data_queries_per_op"][key]), (name, key)
        assert row["ops_per_second"] > 0, name
        assert row["queries_per_op"]["min"] >= 1, name  # every call reads or writes


def test_bench_workload_sizes(report):
    operations = report["operations"]
    attempts = 3 * 2  # learners x exams of the main course
    assert operations["create_exam"]["count"] == 2 + 11 + 1
    for name in ("create_exam_attempt", "start", "submit", "get_exam_attempt"):
        assert operations[name]["count"] == attempts, name
    assert operations["verify"]["count"] + operations["reject"]["count"] == attempts
    assert operations["decline_cascade_10"]["count"] == 3
    assert operations["staff_list_page"]["count"] == 3  # one page per learner
    assert operations["submit_with_email"]["emails_sent"] == 3


def test_bench_query_budgets(report):
    operations = report["operations"]
    budget = START_SUBMIT_BUDGET_POSTGRESQL if on_postgresql() else START_SUBMIT_BUDGET_SQLITE
    for name in ("start", "submit"):
        assert operations[name]["queries_per_op"]["max"] <= budget, operations[name]
    assert operations["get_exam_attempt"]["queries_per_op"]["max"] <= READ_BUDGET
    # The staff list: its count and its page, whatever the page.
    assert operations["staff_list_page"]["queries_per_op"]["max"] == 2
    # The exam with the user's existence and the next number, the attempt, its history: on
    # PostgreSQL the two rows in one statement, atomic by itself (no BEGIN, no COMMIT).
    creation = operations["create_exam_attempt"]
    if on_postgresql():
        assert creation["queries_per_op"]["max"] == creation["data_queries_per_op"]["max"] == 2
    else:
        assert creation["data_queries_per_op"]["max"] == 3
    assert operations["decline_cascade_10"]["queries_per_op"]["max"] <= DECLINE_CASCADE_BUDGET
    changes = STATUS_CHANGE_QUERIES_POSTGRESQL if on_postgresql() else STATUS_CHANGE_QUERIES_SQLITE
    for name, queries in changes.items():
        assert operations[name]["queries_per_op"]["max"] == queries, (name, operations[name])
    # Each kind of call makes the same statements every time.
    for name in ("start", "submit", "verify", "reject", "decline_cascade_10"):
        queries = operations[name]["queries_per_op"]
        assert queries["min"] == queries["max"], (name, queries)


def test_each_operation_is_reported_beside_its_floor(report):
    for name, row in report["operations"].items():
        floor = row["floor"]
        # The floor runs the usual call's statements, as many as the call made.
        assert row["queries_per_op"]["min"] <= len(floor["shape"]) <= row["queries_per_op"]["max"]
        assert floor["calls"] == row["count"], name
        assert floor["mean_ms"] > 0 and row["ratio_to_floor"] > 0, name
        assert row["floor_goal_met"] == (row["ratio_to_floor"] <= 2.0), name
    # The staff list's floor reads a count and a page of rows, not two single rows.
    assert report["operations"]["staff_list_page"]["floor"]["shape"] == ["COUNT", "PAGE"]
    start = report["operations"]["start"]["floor"]["shape"]
    assert start[0].startswith("BEGIN") and start[-1] == "COMMIT"
    # PostgreSQL: the attempt's UPDATE with its history and events, one statement.
    assert (
        ("WITH UPDATE" in start) if on_postgresql() else ("UPDATE" in start and "INSERT" in start)
    )


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ('SELECT "a"."id" FROM "a" WHERE "a"."id" = 1', "SELECT"),
        ('SELECT "a"."id" FROM "a" WHERE "a"."id" = 1 FOR UPDATE OF "a"', "LOCK"),
        ("  insert into a values (1)", "INSERT"),
        ("WITH w0 AS (INSERT INTO a VALUES (1)) INSERT INTO b VALUES (2)", "WITH"),
        ("WITH u0 AS (UPDATE a SET n = 1), w0 AS (INSERT INTO b VALUES (2)) INSERT", "WITH UPDATE"),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("RELEASE SAVEPOINT s1", "RELEASE"),
        ("", ""),
    ],
)
def test_statement_kinds(sql, kind):
    assert statement_kind(sql) == kind


def test_statements_are_logged_as_written(transactional_db):
    """The bench's query log does not render each statement with its values (a cost of the
    measure, not of the service); Django's own rendering is back afterwards."""
    from django.db import connection

    out = StringIO()
    call_command("bench", learners=1, exams=1, sql=True, stdout=out)
    read = json.loads(out.getvalue())["operations"]["get_exam_attempt"]["sql_of_first_call"]
    assert len(read) == 1 and "%s" in read[0]
    assert "last_executed_query" not in vars(connection.ops)


def test_each_operation_and_its_floor_say_where_their_cpu_went(report):
    """cpu_ms: this process's CPU per call, and on PostgreSQL (on this machine) the server
    process's; on SQLite the database runs in this process (null)."""
    spent = 0.0
    for name, row in report["operations"].items():
        for cpu in (row["cpu_ms"], row["floor"]["cpu_ms"]):
            assert _is_number(cpu["process"]) and cpu["process"] >= 0, name
            if on_postgresql():
                # Read in clock ticks (10 ms): a tiny run's may all be 0; a server taking CPU
                # is read as such (the test below).
                assert _is_number(cpu["database"]) and cpu["database"] >= 0, name
            else:
                assert cpu["database"] is None, name
        spent += row["cpu_ms"]["process"] * row["count"]
    assert spent > 0  # read in nanoseconds: every call takes some


@pytest.mark.django_db
def test_the_server_cpu_of_a_busy_connection_is_read_on_postgresql():
    """ServerCpu around a statement that keeps the server busy for a tenth of a second or
    more reads it (several clock ticks); on SQLite there is no server process to read."""
    from django.db import connection

    from proctoring.devtools.cpu import ServerCpu
    from proctoring.devtools.management.commands.bench import backend_pid

    connection.ensure_connection()
    server = ServerCpu(backend_pid)
    with server, connection.cursor() as cursor:
        if on_postgresql():
            cursor.execute("SELECT count(*) FROM generate_series(1, 5000000)")
    if on_postgresql():
        assert server.seconds is not None and server.seconds >= 0.05, server.seconds
        assert server.per_call_ms(2) == round(1000 * server.seconds / 2, 3)
    else:
        assert server.seconds is None


def test_a_server_process_is_read_by_its_id_and_none_when_it_is_not_here():
    import os

    from proctoring.devtools.cpu import ServerCpu, database_process

    assert database_process(os.getpid()) is None  # python, not postgres
    assert database_process(None) is None and database_process(2**22 + 12345) is None
    server = ServerCpu(lambda: None)
    with server:
        sum(range(20_000))
    assert server.seconds is None and server.per_call_ms(3) is None  # nothing to read


@pytest.mark.django_db
def test_the_server_process_of_djangos_connection_is_found_on_postgresql():
    from django.db import connection

    from proctoring.devtools.cpu import database_process
    from proctoring.devtools.management.commands.bench import backend_pid

    connection.ensure_connection()
    pid = backend_pid()
    if on_postgresql():
        assert pid is not None and database_process(pid) == pid  # the server on this machine
    else:
        assert pid is None


def _copies_left(connection):
    """The databases named as copies of the connection's database (bench_replay.copy_name)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
            [connection.settings_dict["NAME"][:40] + "_replay_"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_each_operation_is_replayed_on_postgresql_only(report):
    """PostgreSQL: each operation's statements replayed with psycopg alone on a copy of the
    database (its calls as many as the operation's), the copy dropped afterwards; SQLite: no
    replay."""
    from django.db import connection

    for name, row in report["operations"].items():
        replay = row["replay"]
        if not on_postgresql():
            assert replay is None and row["ratio_to_replay"] is None, name
            assert row["replay_over_floor"] is None, name
            continue
        assert replay["calls"] == row["count"], name
        assert replay["mean_ms"] > 0, name
        assert row["ratio_to_replay"] > 0 and row["replay_over_floor"] > 0, name
        assert round(replay["mean_ms"] / row["floor"]["mean_ms"], 2) == row["replay_over_floor"]
        assert _is_number(replay["cpu_ms"]["process"]) and replay["cpu_ms"]["process"] >= 0
        assert _is_number(replay["cpu_ms"]["database"]) and replay["cpu_ms"]["database"] >= 0
    assert any("replay (PostgreSQL only" in note for note in report["notes"])
    if on_postgresql():
        assert _copies_left(connection) == []


class _Undone(Exception):
    pass


PROBE = "bench_replay_probe"


@pytest.fixture
def probe_table(transactional_db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PROBE} (id serial PRIMARY KEY, note text UNIQUE)")
    yield PROBE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PROBE}")


def _probe_insert(note):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PROBE} (note) VALUES (%s) RETURNING id", [note])
        return cursor.fetchone()[0]


def _probe_rows(cursor):
    cursor.execute(f"SELECT id, note FROM {PROBE} ORDER BY id")
    return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.skipif(not on_postgresql(), reason="the replay runs on PostgreSQL only")
def test_a_recording_is_replayed_in_its_transactions_on_a_copy(probe_table):
    """Statements recorded from Django's connection, replayed with psycopg on a copy taken
    before them: a transaction rolled back (and a savepoint's) is rolled back in the replay
    too, a failed statement fails there too, and every row committed is there with the id
    its original got; replayed once more, a statement fails: a CommandError names its call."""
    from contextlib import suppress

    from django.core.management.base import CommandError
    from django.db import IntegrityError, connection, transaction

    from proctoring.devtools.bench_replay import (
        BEGIN,
        COMMIT,
        ROLLBACK,
        database_copy,
        events_replay,
        replay_connect,
        statements_record,
    )

    with database_copy(connection) as copy:
        with statements_record(connection) as recording:
            recording.call_begin("probe", 0)
            _probe_insert("autocommitted")
            with suppress(_Undone), transaction.atomic():
                _probe_insert("rolled back")
                raise _Undone
            with transaction.atomic():
                _probe_insert("committed")
                with suppress(IntegrityError), transaction.atomic():
                    _probe_insert("committed")  # a duplicate: fails, in its savepoint
                with suppress(_Undone), transaction.atomic():
                    _probe_insert("savepoint rolled back")
                    raise _Undone
            recording.call_end()
            _probe_insert("unmeasured")
        kinds = [event[0] for event in recording.events]
        assert kinds.count(BEGIN) == 2 and kinds.count(COMMIT) == kinds.count(ROLLBACK) == 1
        assert any(event[2].startswith("ROLLBACK TO SAVEPOINT") for event in recording.events)
        assert [event[4] for event in recording.events].count(False) == 1  # the duplicate
        assert recording.events[-1][1] is None  # the unmeasured insert: no call

        with connection.cursor() as cursor:
            original = _probe_rows(cursor)
        assert original == [(1, "autocommitted"), (3, "committed"), (6, "unmeasured")]
        with replay_connect(connection, copy) as raw:
            assert _probe_rows(raw.cursor()) == []  # the copy: the table as it was
            measured = events_replay(raw, recording.events)
            assert _probe_rows(raw.cursor()) == original
            assert list(measured) == ["probe"] and measured["probe"]["calls"] == 1
            assert measured["probe"]["mean_ms"] > 0
            with pytest.raises(
                CommandError,
                match=r"probe \(call 0\) failed at recorded event 3, the statement INSERT INTO",
            ):
                events_replay(raw, recording.events)  # "autocommitted" is there now
    assert _copies_left(connection) == []


@pytest.mark.skipif(not on_postgresql(), reason="the replay runs on PostgreSQL only")
def test_the_copy_fails_clearly_when_another_session_is_on_the_database(transactional_db):
    """PostgreSQL copies a database no other session is connected to (it waits 5 s first)."""
    import psycopg
    from django.core.management.base import CommandError
    from django.db import connection

    from proctoring.devtools.bench_replay import database_copy

    params = connection.get_connection_params()
    keep = ("dbname", "user", "password", "host", "port")
    with (
        psycopg.connect(**{k: v for k, v in params.items() if k in keep}),
        pytest.raises(CommandError, match="other sessions are connected"),
        database_copy(connection),
    ):
        pass
    assert _copies_left(connection) == []
