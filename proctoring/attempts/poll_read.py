"""The in-exam poll's read, in hand-written SQL: the hottest query of the service.

The ORM spends more time building and compiling this query than PostgreSQL spends running it.
So its SQL is written once per process and each row is turned into model instances with the
fields' own converters, as the ORM would. One statement: the attempt, its exam and course, the
user of the caller's platform identity as a sub-select, and, for an attempt not started yet,
the learner's time allowances (its timer shows the time it would get), as ``attempt_lock``
loads them with ``with_allowances``: its own, its group's or its course profile's, the
sub-selects compiled once from ``allowance_value_expression`` (the lock's own expression).

Only the columns the poll's answer reads are selected (``POLLED_FIELDS``: what
``render_attempt`` and the attempt's clock read); the other fields of the instances are
deferred, as ``.only()`` leaves them (``loaded_instance``), so a new read of the answer
costs a query, which the poll's one-statement tests catch. Fewer columns are less for
PostgreSQL to fetch and send and for psycopg to load, and the tables' short aliases keep the
SQL under psycopg's length limit for caching its parse of a statement
(``_queries.MAX_CACHED_STATEMENT_LENGTH``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Case, DateTimeField, Model, OuterRef, When
from django.db.models.base import ModelState

from proctoring.accounts.models import PlatformIdentity
from proctoring.allowances.selectors import allowance_value_expression
from proctoring.attempts.locks import ALLOWANCE_KEYS
from proctoring.attempts.models import Attempt
from proctoring.courses.models import Course
from proctoring.exams.models import Exam

# What the poll's answer reads of each model, by attribute name; the exam's primary key is the
# attempt's ``exam_id`` and the course's ``course_id`` the exam's, so neither is selected again.
POLLED_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Attempt: (
        "id",
        "exam_id",
        "user_id",
        "attempt_number",
        "status",
        "taking_as_proctored",
        "is_sample_attempt",
        "started_at",
        "completed_at",
        "archived_at",
        "allowed_time_seconds",
        "deadline_at",
        "paused_at",
        "ready_to_resume",
        "time_remaining_seconds",
    ),
    Exam: ("course_id", "exam_name", "time_limit_mins"),
    Course: ("provider",),
}
_ALIASES: dict[type[Model], str] = {Attempt: "a", Exam: "e", Course: "c"}
_COURSE_KEY = "course_id"  # the course's field the exam's foreign key points at
_EXAM_FK = Attempt._meta.get_field("exam")
_COURSE_FK = Exam._meta.get_field("course")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_SQL = "'epoch'::timestamptz"  # 1970-01-01 00:00:00 UTC

# A model, the attribute names of its instance in the model's field order, and for each its
# column's converters with the expression they are given (None: a key given apart).
_Reader = tuple[type[Model], list[str], list[tuple[list[Callable[..., Any]], Any] | None]]


def _allowance_columns(qn: Callable[[str], str]) -> tuple[list[str], list[Any]]:
    """The sub-selects of the learner's allowance values, for an attempt not started yet, as
    the ORM compiles them for ``attempt_lock`` (``allowance_value_expression``: the learner's
    own value, else its group's, else its course profile's), with their parameters. The ORM
    names the outer attempt and exam by their tables; they are renamed to the statement's
    aliases (the sub-selects' own tables are ``U0``... and keep their names)."""
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
        for model in (Attempt, Exam):
            sql = sql.replace(f"{qn(model._meta.db_table)}.", f"{_ALIASES[model]}.")
        for model in (Attempt, Exam):
            if f"{qn(model._meta.db_table)}." in sql:  # pragma: no cover - an ORM change
                raise RuntimeError(f"the allowance sub-select names {model.__name__} anew")
        columns.append(sql)
        params += sql_params
    return columns, params


def _select(columns: list[str], qn: Callable[[str], str]) -> str:
    """The statement selecting these columns (the sub-select of the caller's user last)."""
    identity, user = PlatformIdentity._meta, get_user_model()._meta
    return (
        f"SELECT {', '.join(columns)}, "
        f"(SELECT i.{qn('user_id')} FROM {qn(identity.db_table)} i"
        f" INNER JOIN {qn(user.db_table)} u ON u.{qn(user.pk.column)} = i.{qn('user_id')}"
        f" WHERE i.{qn('issuer')} = %s AND i.{qn('subject')} = %s"
        f" AND i.{qn('claims_digest')} = %s AND u.{qn('is_active')} LIMIT 1)"
        f" FROM {qn(Attempt._meta.db_table)} a"
        f" INNER JOIN {qn(Exam._meta.db_table)} e ON e.{qn('id')} = a.{qn('exam_id')}"
        f" INNER JOIN {qn(Course._meta.db_table)} c"
        f" ON c.{qn(_COURSE_KEY)} = e.{qn('course_id')}"
        f" WHERE a.{qn(Attempt._meta.pk.column)} = %s"
    )


def _from_epoch(value: Any, expression: Any, connection: Any) -> Any:
    """A time read as its interval since the epoch (PostgreSQL), as the ORM loads it: aware,
    in the connection's time zone."""
    return None if value is None else (_EPOCH + value).astimezone(connection.timezone)


def _reader(model: type[Model], connection: Any, extra: str | None) -> tuple[_Reader, list[str]]:
    """How to make the model's instance of its selected columns and of ``extra``, a key known
    from another model's columns: the attribute names in the model's field order, and for
    each its column's converters (None for ``extra``); and the columns to select, in that
    order.

    On PostgreSQL a time is selected as its interval since the epoch: psycopg loads an
    interval in C, where Django's loader of a ``timestamptz`` (its time zone) parses the text
    in Python, and sets itself up again for every statement."""
    qn, alias = connection.ops.quote_name, _ALIASES[model]
    polled = set(POLLED_FIELDS[model])
    names: list[str] = []
    converters: list[tuple[list[Callable[..., Any]], Any] | None] = []
    columns: list[str] = []
    for field in model._meta.concrete_fields:
        if field.attname == extra:
            names.append(field.attname)
            converters.append(None)
        elif field.attname in polled:
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column)
            found += field.get_db_converters(connection)  # type: ignore[attr-defined]
            sql = f"{alias}.{qn(field.column)}"
            if connection.vendor == "postgresql" and isinstance(field, DateTimeField):
                sql, found = f"({sql} - {_EPOCH_SQL})", [_from_epoch, *found]
            names.append(field.attname)
            converters.append((found, column))
            columns.append(sql)
    return (model, names, converters), columns


@cache
def _statement(vendor: str, allowances: bool) -> tuple[str, list[Any], list[_Reader]]:
    """The SQL of the read on this database, with the allowance sub-selects or without, the
    parameters it starts with, and how to read each model's columns."""
    connection = connections["default"]
    qn = connection.ops.quote_name
    readers, columns = [], []
    for model, extra in ((Attempt, None), (Exam, "id"), (Course, _COURSE_KEY)):
        reader, selected = _reader(model, connection, extra)
        readers.append(reader)
        columns += selected
    params: list[Any] = []
    if allowances:
        sub_selects, params = _allowance_columns(qn)
        columns += sub_selects
    return _select(columns, qn), params, readers


def statement_sql(*, allowances: bool) -> tuple[str, int]:
    """The read's SQL on the default database and its number of parameters (pinned under
    psycopg's limits)."""
    sql, params, _readers = _statement(connections["default"].vendor, allowances)
    return sql, len(params) + 4  # the identity's issuer, subject and digest, the attempt's id


# Attempts this process saw started. A start is never undone, so a started attempt's poll
# reads without the allowance sub-selects (its timer does not use them), and PostgreSQL,
# which sets up every sub-plan of a statement at each execution whether it runs or not, does
# a third of the work. Emptied when full: the next poll of each reads them once more.
_STARTED_MAX = 100_000
_started: set[int] = set()


def forget_started() -> None:
    """Forget which attempts were seen started (tests: their ids are reused after a rollback)."""
    _started.clear()


def loaded_instance(model: type[Model], values: dict[str, Any]) -> Any:
    """The model's instance of these attribute values, the other fields deferred, as
    ``from_db`` makes it, without ``__init__``'s walk over every field of the model and its
    ``pre_init``/``post_init`` signals (no model the poll loads has a receiver of them: a test
    holds that)."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    state = instance._state = ModelState()
    state.adding, state.db = False, "default"
    return instance


def _instance(reader: _Reader, row: Any, at: int, extra: Any, connection: Any) -> Any:
    """The reader's model instance of the row's columns from ``at`` on, and of ``extra``."""
    model, names, converters = reader
    values = {}
    for name, found in zip(names, converters, strict=True):
        if found is None:
            values[name] = extra
            continue
        value = row[at]
        at += 1
        for converter in found[0]:
            value = converter(value, found[1], connection)
        values[name] = value
    return loaded_instance(model, values)


def attempt_read_for_identity(
    *, attempt_id: int, issuer: str, subject: str, claims_digest: str
) -> tuple[Attempt, int | None] | None:
    """The attempt with its exam and course loaded (the fields of ``POLLED_FIELDS``, the rest
    deferred), and the id of the active user of the platform identity whose last applied
    claims have this digest (else None); None when there is no such attempt.

    An attempt not started yet comes with the learner's allowance values, as
    ``attempt_lock(..., with_allowances=True)`` loads them."""
    connection = connections["default"]
    allowances = attempt_id not in _started
    sql, params, readers = _statement(connection.vendor, allowances)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, issuer, subject, claims_digest, attempt_id])
        row = cursor.fetchone()
    if row is None:
        return None
    attempt_reader, exam_reader, course_reader = readers
    attempt = _instance(attempt_reader, row, 0, None, connection)
    at = len(attempt_reader[1])
    exam = _instance(exam_reader, row, at, attempt.exam_id, connection)
    at += len(exam_reader[1]) - 1
    # The related instances cached as ``select_related`` caches them (their keys are set).
    _COURSE_FK.set_cached_value(exam, _instance(course_reader, row, at, exam.course_id, connection))
    _EXAM_FK.set_cached_value(attempt, exam)
    at += len(course_reader[1]) - 1
    if allowances:
        for key in ALLOWANCE_KEYS:  # as attempt_lock(..., with_allowances=True) loads them
            setattr(attempt, f"allowance_{key}", row[at])
            at += 1
    if attempt.started_at is not None and allowances:
        if len(_started) >= _STARTED_MAX:
            _started.clear()
        _started.add(attempt.pk)
    viewer_id = row[at]
    return attempt, int(viewer_id) if viewer_id is not None else None
