"""One attempt's status change written by an ``UPDATE`` compiled once per set of columns
(sent with the change's history and events: ``core.inserts.rows_insert(first=...)``).

The one transition changes a locked attempt: every value it writes is known in Python (the
row is locked, so what was read is what is stored). The ORM built and compiled that
``UPDATE`` at every change, its ``F()`` and ``Case`` expressions included, in about as much
time as the database took to run it. Here the statement is written once per set of columns
from the model's own fields, and each value is prepared by its field as the ORM would
(``get_db_prep_save``). A change of many attempts at once (a cascade, the expiry job) keeps
the ORM's one ``UPDATE`` for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field

from proctoring.attempts.models import Attempt


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
