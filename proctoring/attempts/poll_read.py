"""The in-exam poll's read, in hand-written SQL: the hottest query of the service.

The ORM spends more time building and compiling this query than PostgreSQL spends running it.
So its SQL is written once per process, from the models' own columns (a field added to a
model is read too), and each row is turned into model instances with the fields' own
converters, as the ORM would. One statement: the attempt, its exam and course, the user of
the caller's platform identity as a sub-select, and, for an attempt not started yet, the
learner's time allowances (its timer shows the time it would get), as ``attempt_lock``
loads them with ``with_allowances``: its own, its group's or its course profile's, the
sub-selects compiled once from ``allowance_value_expression`` (the lock's own expression).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Case, Model, OuterRef, When

from proctoring.accounts.models import PlatformIdentity
from proctoring.allowances.selectors import allowance_value_expression
from proctoring.attempts.locks import ALLOWANCE_KEYS
from proctoring.attempts.models import Attempt
from proctoring.courses.models import Course
from proctoring.exams.models import Exam

# A model, its columns' attribute names in order, and each column's converters with the
# expression they are given.
_Reader = tuple[type[Model], list[str], list[tuple[list[Callable[..., Any]], Any]]]


def _quoted(alias: str, model: type[Model], qn: Callable[[str], str]) -> list[str]:
    return [f"{alias}.{qn(field.column)}" for field in model._meta.concrete_fields]


def _allowance_columns() -> tuple[list[str], list[Any]]:
    """The sub-selects of the learner's allowance values, for an attempt not started yet, as
    the ORM compiles them for ``attempt_lock`` (``allowance_value_expression``: the learner's
    own value, else its group's, else its course profile's), with their parameters. They
    name the attempt and exam tables by their own names, as the statement below does."""
    values = {
        f"allowance_{key}": Case(
            When(
                started_at__isnull=True,
                then=allowance_value_expression(
                    key,
                    exam=OuterRef("exam_id"),
                    user=OuterRef("user_id"),
                    course=OuterRef("exam__course_id"),
                ),
            )
        )
        for key in ALLOWANCE_KEYS
    }
    query = Attempt.objects.filter(pk=0).annotate(**values).values(*values).query
    compiler = query.get_compiler(using="default")
    compiler.setup_query()
    columns: list[str] = []
    params: list[Any] = []
    for _expression, (sql, sql_params), _alias in compiler.select:
        columns.append(sql)
        params += sql_params
    return columns, params


@cache
def _statement(vendor: str) -> tuple[str, list[Any], list[_Reader]]:
    """The SQL of the read on this database, the parameters it starts with, and how to read
    each model's columns."""
    connection = connections["default"]
    qn = connection.ops.quote_name
    attempt, exam, course = Attempt._meta, Exam._meta, Course._meta
    identity, user = PlatformIdentity._meta, get_user_model()._meta
    a, e = qn(attempt.db_table), qn(exam.db_table)
    columns = [
        *_quoted(a, Attempt, qn),
        *_quoted(e, Exam, qn),
        *_quoted("c", Course, qn),
    ]
    allowances, params = _allowance_columns()
    sql = (
        f"SELECT {', '.join(columns + allowances)}, "
        f"(SELECT i.{qn('user_id')} FROM {qn(identity.db_table)} i"
        f" INNER JOIN {qn(user.db_table)} u ON u.{qn(user.pk.column)} = i.{qn('user_id')}"
        f" WHERE i.{qn('issuer')} = %s AND i.{qn('subject')} = %s"
        f" AND i.{qn('claims_digest')} = %s AND u.{qn('is_active')} LIMIT 1)"
        f" FROM {a}"
        f" INNER JOIN {e} ON {e}.{qn(exam.pk.column)} = {a}.{qn('exam_id')}"
        f" INNER JOIN {qn(course.db_table)} c"
        f" ON c.{qn('course_id')} = {e}.{qn(Exam._meta.get_field('course').column)}"
        f" WHERE {a}.{qn(attempt.pk.column)} = %s"
    )
    readers: list[_Reader] = []
    models: tuple[type[Model], ...] = (Attempt, Exam, Course)
    for model in models:
        fields = list(model._meta.concrete_fields)
        converters: list[tuple[list[Callable[..., Any]], Any]] = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column)
            found += field.get_db_converters(connection)  # type: ignore[attr-defined]
            converters.append((found, column))
        readers.append((model, [field.attname for field in fields], converters))
    return sql, params, readers


def _instance(reader: _Reader, values: tuple[Any, ...], connection: Any) -> Any:
    model, names, converters = reader
    converted = []
    for value, (field_converters, column) in zip(values, converters, strict=True):
        for converter in field_converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db("default", names, converted)


def attempt_read_for_identity(
    *, attempt_id: int, issuer: str, subject: str, claims_digest: str
) -> tuple[Attempt, int | None] | None:
    """The attempt with its exam and course loaded, and the id of the active user of the
    platform identity whose last applied claims have this digest (else None); None when
    there is no such attempt."""
    connection = connections["default"]
    sql, params, readers = _statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, issuer, subject, claims_digest, attempt_id])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for reader in readers:
        end = start + len(reader[1])
        instances.append(_instance(reader, row[start:end], connection))
        start = end
    attempt, exam, course = instances
    exam.course = course
    attempt.exam = exam
    for key in ALLOWANCE_KEYS:  # as attempt_lock(..., with_allowances=True) loads them
        setattr(attempt, f"allowance_{key}", row[start])
        start += 1
    viewer_id = row[start]
    return attempt, int(viewer_id) if viewer_id is not None else None
