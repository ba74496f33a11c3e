"""One attempt's status change written by an ``UPDATE`` compiled once per set of columns
(sent with the change's history and events: ``core.inserts.rows_insert(first=...)``).

The one transition changes a locked attempt: every value it writes is known in Python (the
row is locked, so what was read is what is stored). The ORM built and compiled that
``UPDATE`` at every change, its ``F()`` and ``Case`` expressions included, in about as much
time as the database took to run it. Here the statement is written once per set of columns
from the model's own fields, and each value is prepared by its field as the ORM would
(``get_db_prep_save``). A change of many locked attempts at once (a cascade, the expiry job)
is one ``UPDATE`` too on PostgreSQL, each row's values in arrays (``UPDATE ... FROM UNNEST``:
one text whatever the number of rows); elsewhere the ORM's ``UPDATE`` of them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field

from proctoring.attempts.models import Attempt
from proctoring.core.pg_types import BinaryArray, array_placeholder


@cache
def _statement(vendor: str, names: tuple[str, ...]) -> tuple[str, tuple[Field[Any, Any], ...]]:
    connection = connections["default"]
    qn = connection.ops.quote_name
    meta = Attempt._meta
    fields: tuple[Field[Any, Any], ...] = tuple(
        field for field in (meta.get_field(name) for name in names) if isinstance(field, Field)
    )
    assert len(fields) == len(names), names  # concrete columns only
    assignments = ", ".join(f"{qn(str(field.column))} = %s" for field in fields)
    pk = str(meta.pk.column) if meta.pk is not None else "id"
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(pk)} = %s"
    return sql, fields


def attempt_row_update_statement(
    *, attempt_id: int, values: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    """The ``UPDATE`` writing these plain values (no expressions) to the attempt's row, and
    its parameters: for a caller that runs it with its other writes (``core.inserts``)."""
    connection = connections["default"]
    sql, fields = _statement(connection.vendor, tuple(values))
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    return sql, [*params, attempt_id]


@cache
def _rows_statement(names: tuple[str, ...]) -> tuple[str, tuple[Field[Any, Any], ...]]:
    connection = connections["default"]
    qn = connection.ops.quote_name
    meta = Attempt._meta
    pk = meta.pk
    assert pk is not None
    fields: tuple[Field[Any, Any], ...] = tuple(
        field for field in (meta.get_field(name) for name in names) if isinstance(field, Field)
    )
    assert len(fields) == len(names), names  # concrete columns only
    every = (pk, *fields)
    arrays = ", ".join(array_placeholder(field, connection) for field in every)
    columns = ", ".join(qn(str(field.column)) for field in every)
    assignments = ", ".join(f"{qn(str(f.column))} = v.{qn(str(f.column))}" for f in fields)
    key = qn(str(pk.column))
    sql = (
        f"UPDATE {qn(meta.db_table)} AS t SET {assignments}"
        f" FROM UNNEST({arrays}) AS v({columns}) WHERE t.{key} = v.{key}"
    )
    return sql, fields


def attempt_rows_update_statement(
    rows: Sequence[tuple[int, Mapping[str, Any]]],
) -> tuple[str, list[Any]] | None:
    """The one ``UPDATE`` writing each attempt's plain values (``(id, values)``, the same
    columns for every row) and its parameters, one array per column; None where the
    database has no arrays (SQLite: the caller uses the ORM's ``UPDATE``)."""
    connection = connections["default"]
    if connection.vendor != "postgresql" or not rows:
        return None
    sql, fields = _rows_statement(tuple(rows[0][1]))
    params: list[Any] = [BinaryArray(attempt_id for attempt_id, _ in rows)]
    for field in fields:
        prepare = field.get_db_prep_save
        params.append(BinaryArray(prepare(values[field.name], connection) for _, values in rows))
    return sql, params
