"""core/pg_types.py: PostgreSQL's timestamptz values parsed by psycopg's C loader, the same
values Django's own (Python) loader gives."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test import override_settings

from tests.conftest import on_postgresql

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not on_postgresql(), reason="a loader of PostgreSQL's timestamptz"),
]

TIMESTAMPTZ_OID = 1184
VALUES = (
    "'2026-12-07 17:01:26.955184+00'",
    "'2026-01-01 10:00:00.5+05:30'",  # another offset, a fraction of a second
    "'1999-12-31 23:59:59-08'",
    "'0001-01-01 00:00:00+00'",
    "NULL",
)
SQL = "SELECT " + ", ".join(f"{value}::timestamptz" for value in VALUES)


def _read(cursor):
    cursor.execute(SQL)
    return cursor.fetchone()


def test_a_cursor_reads_timestamps_with_the_c_loader_and_the_same_values():
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0)
        assert loader.__name__ == "FastTzLoader"
        fast = _read(cursor)
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own, on this cursor
        django_read = _read(cursor)
    assert fast == django_read
    assert fast[1] == datetime.datetime(2026, 1, 1, 4, 30, 0, 500000, tzinfo=datetime.UTC)
    assert all(value.tzinfo is connection.timezone for value in fast[:4]) and fast[4] is None


@override_settings(USE_TZ=False)
def test_naive_datetimes_where_django_gives_naive_ones():
    """Another time zone for the connection: Django's cursor takes its own loader back."""
    with connection.cursor() as cursor:
        values = _read(cursor)
    assert all(value.tzinfo is None for value in values[:4])


def test_a_binary_array_is_sent_in_binary_and_reads_back_the_same():
    """BinaryArray: each element by psycopg's binary dumper (no escaping in Python), cast
    by the statement to its column's type; Django's query log still renders it as text."""
    from psycopg.adapt import PyFormat
    from psycopg.pq import Format
    from psycopg.types.json import Jsonb

    from proctoring.attempts.statuses import AttemptStatus
    from proctoring.core.pg_types import BinaryArray

    moment = datetime.datetime(2026, 12, 7, 17, 38, 46, 420849, tzinfo=datetime.UTC)
    columns = [
        BinaryArray([AttemptStatus.DECLINED, "x'\"{},\\", None]),
        BinaryArray([moment, None, moment]),
        BinaryArray([1, 2**40, None]),
        BinaryArray([Jsonb({"a": 1}), Jsonb([]), None]),
        BinaryArray([None, None, None]),
        BinaryArray([True, False, None]),
    ]
    casts = ["varchar[]", "timestamp with time zone[]", "bigint[]", "jsonb[]", "integer[]"]
    sql = "SELECT " + ", ".join(f"(%s)::{cast}" for cast in [*casts, "boolean[]"])
    with connection.cursor() as cursor:
        dumper = cursor.cursor.adapters.get_dumper(BinaryArray, PyFormat.AUTO)
        assert dumper.format == Format.BINARY
        cursor.execute(sql, columns)
        row = cursor.fetchone()
        text = connection.ops.compose_sql(sql, columns)  # the query log's rendering
    assert row == (
        ["declined", "x'\"{},\\", None],
        [moment, None, moment],
        [1, 2**40, None],
        ['{"a": 1}', "[]", None],  # Django reads jsonb as text (its JSONField decodes it)
        [None, None, None],
        [True, False, None],
    )
    assert "'{declined," in text
