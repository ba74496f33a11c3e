"""The Python API's attempt dicts, read with SQL written once per process.

``get_exam_attempt`` and its siblings return an attempt as a dict of its fields and its
exam's (``selectors.attempt_to_dict``). Through the ORM, building and compiling the query
and turning the row into two model instances took ten times longer than PostgreSQL took to
run it. The dict needs neither: so the statement is written once per lookup and database,
from the models' own columns, and its row is read straight into the dict, each value through
its field's converters (on PostgreSQL there are none for these fields; on SQLite dates and
booleans have theirs), as the ORM would convert it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field

from proctoring.attempts.models import Attempt
from proctoring.core.compiled import row_converted
from proctoring.exams.models import Exam

# A lookup's WHERE clause over the attempt table ``a``, by name. Each matches one attempt at
# most (the primary key, the unique code, the constraint ``one_current_attempt``), so the
# statement needs no ORDER BY (which made PostgreSQL sort the one row).
LOOKUPS = {
    "current": ("exam_id", "user_id"),  # the learner's current (not archived) attempt
    "id": ("id",),
    "code": ("attempt_code",),
}

# Each column that has converters: its place in the row, the converters, the column they get.
_Converters = list[tuple[int, list[Callable[..., Any]], Any]]


def _fields(model: Any, names: tuple[str, ...]) -> list[Field[Any, Any]]:
    """The model's concrete fields of these attribute names (``exam_id``: the foreign key)."""
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    return [by_attname[name] for name in names]


@cache
def _statement(
    vendor: str, lookup: str, attempt_names: tuple[str, ...], exam_names: tuple[str, ...]
) -> tuple[str, _Converters]:
    """The SQL of ``lookup`` on this database, and the converters of its row's columns."""
    connection = connections["default"]
    qn = connection.ops.quote_name
    attempt_fields = _fields(Attempt, attempt_names)
    exam_fields = _fields(Exam, exam_names)
    columns = [f"a.{qn(field.column)}" for field in attempt_fields]
    columns += [f"e.{qn(field.column)}" for field in exam_fields]
    conditions = [f"a.{qn(_fields(Attempt, (name,))[0].column)} = %s" for name in LOOKUPS[lookup]]
    if lookup == "current":
        conditions.append(f"a.{qn('archived_at')} IS NULL")
    exam_pk = qn(_fields(Exam, ("id",))[0].column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(Attempt._meta.db_table)} a"
        f" INNER JOIN {qn(Exam._meta.db_table)} e ON e.{exam_pk} = a.{qn('exam_id')}"
        f" WHERE {' AND '.join(conditions)} LIMIT 1"
    )
    converters: _Converters = []
    tables = [Attempt._meta.db_table] * len(attempt_fields) + [Exam._meta.db_table] * len(
        exam_fields
    )
    for place, (field, table) in enumerate(zip(attempt_fields + exam_fields, tables, strict=True)):
        column = field.get_col(table)
        found = connection.ops.get_db_converters(column)
        found += field.get_db_converters(connection)  # type: ignore[attr-defined]
        if found:
            converters.append((place, found, column))
    return sql, converters


def attempt_dict_read(
    *,
    lookup: str,
    values: tuple[Any, ...],
    attempt_names: tuple[str, ...],
    exam_names: tuple[str, ...],
) -> dict[str, Any] | None:
    """The first attempt ``lookup`` finds with ``values`` (in ``LOOKUPS[lookup]``'s order), as
    ``{attempt field: value, ..., "proctored_exam": {exam field: value, ...}}``; None when
    there is none. One statement."""
    connection = connections["default"]
    sql, converters = _statement(connection.vendor, lookup, attempt_names, exam_names)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        found = cursor.fetchone()
    if found is None:
        return None
    row = row_converted(found, converters, connection)
    count = len(attempt_names)
    data = dict(zip(attempt_names, row[:count], strict=True))
    data["proctored_exam"] = dict(zip(exam_names, row[count:], strict=True))
    return data
