"""An attempt's creation in two statements, each written once per process.

``attempt_create`` reads the exam with the user's existence and the learner's next attempt
number, then writes the attempt and its first history row. Through the ORM each call built
and compiled both queries anew, and wrote the two rows in a transaction of their own (BEGIN,
two INSERTs, COMMIT): more Python than database. Here the read is compiled by the ORM once,
with stand-in ids whose places among its parameters are noted, and each call runs its SQL
with its own ids; on PostgreSQL the attempt's ``INSERT`` runs inside the history's, in one
statement (a ``WITH`` clause), which is atomic by itself and needs no transaction. The rows'
values are the ORM's: each field's default, ``pre_save`` and database preparation.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Exists, OuterRef, Subquery

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.core.compiled import params_filled, row_converted
from proctoring.core.inserts import insert_fields, prepared_values
from proctoring.exams.models import Exam

# Stand-ins for the ids the read matches, found again among its compiled parameters: ids in
# the range of every id column (the ORM compiles a lookup of an impossible id to a constant).
STAND_INS = {"exam_id": 2_073_200_001, "user_id": 2_073_200_002}


@dataclass(frozen=True)
class _Read:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]
    names: list[str]  # the exam's columns' attribute names
    converters: list[tuple[int, list[Callable[..., Any]], Any]]
    annotations: dict[str, int]


@cache
def _read(alias: str, vendor: str) -> _Read:
    """The exam with ``user_exists`` and ``highest_number`` (the learner's highest attempt
    number on it), compiled by the ORM once."""
    exam_id, user_id = STAND_INS["exam_id"], STAND_INS["user_id"]
    highest = Attempt.objects.filter(exam_id=OuterRef("pk"), user_id=user_id).order_by(
        "-attempt_number"
    )
    queryset = (
        Exam.objects.filter(pk=exam_id)
        .annotate(
            user_exists=Exists(get_user_model().objects.filter(pk=user_id)),
            highest_number=Subquery(highest.values("attempt_number")[:1]),
        )
        .order_by()[:1]
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    select = compiler.select
    klass_info = compiler.klass_info
    assert klass_info is not None
    fields = klass_info["select_fields"]
    converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
    slots = {
        name: [i for i, value in enumerate(params) if type(value) is int and value == stand]
        for name, stand in STAND_INS.items()
    }
    assert all(slots.values()), f"a stand-in id was compiled away: {sql}"
    return _Read(
        sql=sql,
        params=tuple(params),
        slots=slots,
        names=[column[0].target.attname for column in select[fields[0] : fields[-1] + 1]],
        converters=[(pos, convs, expression) for pos, (convs, expression) in converters.items()],
        annotations=dict(compiler.annotation_col_map or {}),
    )


def exam_with_next_number(*, exam_id: int, user_id: int) -> tuple[Exam, bool, int | None] | None:
    """The exam, whether the user exists, and the learner's highest attempt number on the
    exam (None: no attempt yet); None when there is no such exam. One statement."""
    connection = connections["default"]
    read = _read(connection.alias, connection.vendor)
    params = params_filled(read.params, read.slots, {"exam_id": exam_id, "user_id": user_id})
    with connection.cursor() as cursor:
        cursor.execute(read.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    row = row_converted(found, read.converters, connection)
    exam: Exam = Exam.from_db(connection.alias, read.names, row[: len(read.names)])
    annotations = read.annotations
    return exam, bool(row[annotations["user_exists"]]), row[annotations["highest_number"]]


@cache
def _insert_sql(alias: str) -> str:
    """PostgreSQL: the attempt's ``INSERT`` in a ``WITH`` clause, its history row's after it,
    with the attempt's new id; the statement returns the id and nothing else."""
    qn = connections[alias].ops.quote_name
    attempt_columns = ", ".join(qn(field.column) for field in insert_fields(Attempt))
    history_columns = [field.column for field in insert_fields(AttemptHistory)]
    values = [f"(SELECT {qn('id')} FROM a)" if c == "attempt_id" else "%s" for c in history_columns]
    marks = ", ".join("%s" for _ in insert_fields(Attempt))
    return (
        f"WITH a AS (INSERT INTO {qn(Attempt._meta.db_table)} ({attempt_columns})"
        f" VALUES ({marks}) RETURNING {qn('id')})"
        f" INSERT INTO {qn(AttemptHistory._meta.db_table)}"
        f" ({', '.join(qn(column) for column in history_columns)})"
        f" VALUES ({', '.join(values)}) RETURNING {qn('attempt_id')}"
    )


def attempt_insert_created(attempt: Attempt, *, actor_id: int | None, cause: str) -> None:
    """Write the new attempt and the history row of its creation (from nothing to its status,
    at its ``created``); the attempt gets its id. Raises ``IntegrityError`` when a unique
    constraint refuses it, leaving an enclosing transaction usable (a savepoint wraps the
    write there)."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        with transaction.atomic():
            attempt.save(force_insert=True)
            _history(attempt, actor_id=actor_id, cause=cause).save(force_insert=True)
        return
    params = prepared_values(attempt, connection)  # sets its created and modified
    history = _history(attempt, actor_id=actor_id, cause=cause)
    params += prepared_values(history, connection, skip="attempt_id")
    guard: AbstractContextManager[Any] = (
        transaction.atomic() if connection.in_atomic_block else nullcontext()
    )
    with guard, connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.alias), params)
        (attempt_id,) = cursor.fetchone()
    attempt.pk = attempt_id
    attempt._state.adding, attempt._state.db = False, connection.alias


def _history(attempt: Attempt, *, actor_id: int | None, cause: str) -> AttemptHistory:
    return AttemptHistory(
        attempt=attempt,
        from_status="",
        to_status=attempt.status,
        changed_at=attempt.created,
        actor_id=actor_id,
        cause=cause,
    )
