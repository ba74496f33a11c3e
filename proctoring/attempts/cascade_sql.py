"""The reads of a decline's cascade (rule 7), each compiled by the ORM once per process.

A decline that cascades locks the learner's attempts of the course, reads the course's other
exams it cascades to, and locks the learner's attempts on them (again after creating the
missing ones). The ORM built and compiled each of those queries at every decline, and joined
the exam, course and user of every attempt it locked, which the declining attempt has
already loaded (same learner, same course). Here each query is compiled once with stand-in
values whose places among its parameters are noted; each call runs its SQL with its own
values and reads the rows as the ORM would (its converters, ``Model.from_db``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet, Subquery
from django.db.models.constants import OnConflict

from proctoring.attempts.models import Attempt
from proctoring.core.compiled import params_filled, row_converted
from proctoring.core.inserts import insert_fields, prepared_values
from proctoring.core.pg_types import BinaryArray, array_placeholder
from proctoring.exams.models import Exam

# Stand-ins, found again among the compiled parameters: ids in the range of every id column
# (the ORM compiles a lookup of an impossible id to a constant), texts no course or content
# id takes.
STAND_INS: dict[str, Any] = {
    "pk": 2_073_300_001,
    "exam_id": 2_073_300_002,
    "user_id": 2_073_300_003,
    "course_id": "\x00stand-in course id",
    "content_id": "\x00stand-in content id",
}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]  # each value's places among the parameters
    model: type[Model]
    names: list[str]  # the model's columns' attribute names, in the row's order
    converters: list[tuple[int, list[Callable[..., Any]], Any]]


_compiled: dict[tuple[Any, ...], _Compiled] = {}
_compiled_lock = threading.Lock()


def _compile(queryset: QuerySet[Any]) -> _Compiled:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slots = {
        name: [i for i, value in enumerate(params) if type(value) is type(stand) and value == stand]
        for name, stand in STAND_INS.items()
    }
    select = compiler.select[: compiler.col_count]
    converters = compiler.get_converters([column[0] for column in select])
    return _Compiled(
        sql=sql,
        params=tuple(params),
        slots={name: places for name, places in slots.items() if places},
        model=queryset.model,
        names=[column[0].target.attname for column in select],
        converters=[(pos, convs, expression) for pos, (convs, expression) in converters.items()],
    )


def _run(
    key: tuple[Any, ...], build: Callable[[], QuerySet[Any]], values: Mapping[str, Any]
) -> list[Any]:
    """The rows (model instances) of ``build()``'s query, compiled once for ``key``, with
    ``values`` in the stand-ins' places."""
    connection = connections["default"]
    key = (connection.alias, connection.vendor, *key)
    with _compiled_lock:
        compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compile(build())
        with _compiled_lock:
            _compiled[key] = compiled
    missing = set(compiled.slots) - set(values)
    assert not missing, f"no value for {missing}"
    params = params_filled(compiled.params, compiled.slots, values)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        found = cursor.fetchall()
    return [
        compiled.model.from_db(
            connection.alias, compiled.names, row_converted(row, compiled.converters, connection)
        )
        for row in found
    ]


def course_attempts_lock(*, values: Mapping[str, Any], current_only: bool) -> None:
    """Lock, in id order, every current attempt of the learner in the course of the attempt
    that ``values`` match (``pk``, or ``exam_id`` and ``user_id``: its current attempt)."""
    by_pk = "pk" in values

    def build() -> QuerySet[Any]:
        if by_pk:
            found = Attempt.objects.filter(pk=STAND_INS["pk"])
            if current_only:
                found = found.filter(archived_at__isnull=True)
        else:
            found = Attempt.objects.filter(
                archived_at__isnull=True,
                exam_id=STAND_INS["exam_id"],
                user_id=STAND_INS["user_id"],
            )
        return (
            Attempt.objects.select_for_update(of=("self",))
            .filter(
                archived_at__isnull=True,
                user_id=Subquery(found.values("user_id")[:1]),
                exam__course_id=Subquery(found.values("exam__course_id")[:1]),
            )
            .order_by("id")
            .only("id")
        )

    _run(("course_attempts_lock", by_pk, current_only), build, values)


def _others() -> QuerySet[Exam]:
    return Exam.objects.filter(
        course_id=STAND_INS["course_id"], is_active=True, is_proctored=True, is_practice_exam=False
    ).exclude(content_id=STAND_INS["content_id"])


def cascade_exams(*, exam: Exam) -> dict[int, Exam]:
    """The exams a decline on ``exam`` cascades to: the other active, proctored, non-practice
    exams of its course, by id, each with the exam's course loaded."""
    values = {"course_id": exam.course_id, "content_id": exam.content_id}
    exams: dict[int, Exam] = {}
    for other in _run(("cascade_exams",), _others, values):
        other.course = exam.course
        exams[other.pk] = other
    return exams


def cascade_attempts_lock(*, attempt: Attempt, exams: Mapping[int, Exam]) -> list[Attempt]:
    """The learner's attempts (archived ones too) on the exams the decline of ``attempt``
    cascades to, locked, in id order, each with its exam (from ``exams``) and the learner."""

    def build() -> QuerySet[Any]:
        return (
            Attempt.objects.select_for_update(of=("self",))
            .filter(user_id=STAND_INS["user_id"], exam_id__in=_others().values("id"))
            .order_by("id")
        )

    exam = attempt.exam
    values = {
        "user_id": attempt.user_id,
        "course_id": exam.course_id,
        "content_id": exam.content_id,
    }
    rows: list[Attempt] = []
    for row in _run(("cascade_attempts_lock",), build, values):
        if row.exam_id in exams:  # an exam made eligible meanwhile waits for its own decline
            row.exam = exams[row.exam_id]
            row.user = attempt.user
            rows.append(row)
    return rows


@cache
def _insert_many_sql(alias: str, count: int) -> str:
    """The cascade's ``INSERT`` of ``count`` attempts. On PostgreSQL one array of values per
    column (``UNNEST``, as the ORM's own bulk insert writes it): the same text whatever the
    number of rows, few parameters, so psycopg keeps it parsed and the server prepares it;
    elsewhere a ``VALUES`` row per attempt."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    fields = insert_fields(Attempt)
    if connection.vendor == "postgresql":
        arrays = [array_placeholder(field, connection) for field in fields]
        rows = f"SELECT * FROM UNNEST({', '.join(arrays)})"
    else:
        row = f"({', '.join('%s' for _ in fields)})"
        rows = f"VALUES {', '.join(row for _ in range(count))}"
    suffix = connection.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, [], [])
    return (
        f"{connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)}"
        f" {qn(Attempt._meta.db_table)} ({', '.join(qn(field.column) for field in fields)})"
        f" {rows} {suffix}"
    ).rstrip()


def attempts_insert_new(rows: Sequence[Attempt]) -> None:
    """Insert the cascade's new attempts in one statement, skipping any that a unique
    constraint refuses (one created meanwhile), as ``bulk_create(ignore_conflicts=True)``
    did; the rows get no ids (the caller locks them next). Its SQL is written once (once per
    number of rows on SQLite), the values prepared as the ORM prepares them."""
    if not rows:
        return
    connection = connections["default"]
    values = [prepared_values(row, connection) for row in rows]
    if connection.vendor == "postgresql":
        sql = _insert_many_sql(connection.alias, 0)
        params = [BinaryArray(column) for column in zip(*values, strict=True)]
    else:
        sql = _insert_many_sql(connection.alias, len(rows))
        params = [value for row in values for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
