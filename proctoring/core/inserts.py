"""Rows of several models inserted in one statement where the database allows it.

A status change writes its history row and its event row at its end: two ``INSERT``s whose
round trips cost a write as much as its lock. PostgreSQL runs data-modifying statements in a
``WITH`` clause, so the rows of every model go in one statement there (each model's rows one
``INSERT``, all but the last in the ``WITH``). SQLite has no such clause: one ``INSERT`` per
model there, as ``bulk_create`` does.

Each model's ``INSERT`` is compiled by the ORM (its fields' defaults, ``pre_save`` and
database preparation, as ``bulk_create`` would), then joined; that text depends only on the
models and their numbers of rows, so it is compiled once per such shape. Later calls of the
shape prepare each value as the ORM's compiler does (``pre_save``, then
``get_db_prep_save``), in the compiler's own order of parameters (row after row, or, for
PostgreSQL's ``UNNEST`` form of several rows, one array per column). A row holding an
expression (a database default, say) is compiled by the ORM each time. The rows do not get
their ids back: callers that need them use ``bulk_create``, or ``row_insert`` for one row
(a staff review's record, whose id its events carry).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField, signals
from django.db.models.sql import InsertQuery

from proctoring.core.pg_types import BinaryArray

_AUTO = (AutoField, BigAutoField, SmallAutoField)
# Shapes kept per process: a status change (1 history row, 1 to 3 events), a cascade's...
MAX_SHAPES = 128


@dataclass(frozen=True)
class _Batch:
    """One model's ``INSERT`` of a number of rows, as the ORM compiled it."""

    fields: tuple[Field[Any, Any], ...]
    by_column: bool  # PostgreSQL's UNNEST: one array of values per column


@dataclass(frozen=True)
class _Shape:
    sql: str
    batches: tuple[_Batch, ...]


_shapes: dict[tuple[Any, ...], _Shape | None] = {}  # None: the ORM compiles it each time
_shapes_lock = threading.Lock()


@cache
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    # Once per model: an automatic key's ``isinstance`` goes through its metaclass, in Python.
    return tuple(field for field in model._meta.concrete_fields if not isinstance(field, _AUTO))


def _insert_sql(rows: Sequence[Model], alias: str) -> tuple[str, list[Any]]:
    model = type(rows[0])
    query = InsertQuery(model)
    query.insert_values(list(_fields(model)), list(rows), raw=False)
    compiled = query.get_compiler(using=alias).as_sql()
    if len(compiled) != 1:  # the database cannot insert these rows in one statement
        raise ValueError(f"{model.__name__} rows need {len(compiled)} statements")
    sql, params = compiled[0]
    return sql, list(params)


def insert_fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    """The columns an ``INSERT`` of the model writes, in the ORM's order: every concrete
    field but an automatic key."""
    return _fields(model)


def prepared_values(row: Model, connection: Any, *, skip: str = "") -> list[Any]:
    """The row's values as the ORM's ``INSERT`` sends them (``pre_save`` sets the ``auto_now``
    dates on the row), in ``insert_fields``' order, without the field whose attribute name is
    ``skip`` (one a statement fills itself, say)."""
    return [
        field.get_db_prep_save(field.pre_save(row, True), connection=connection)
        for field in _fields(type(row))
        if field.attname != skip
    ]


def _values(fields: Sequence[Field[Any, Any]], rows: Sequence[Model], alias: str) -> list[Any]:
    """Each row's values prepared for the database as the ORM's compiler prepares them, or
    an empty list when one is an expression (the ORM compiles those)."""
    connection = connections[alias]
    prepared: list[Any] = []
    for row in rows:
        for field in fields:
            value = field.pre_save(row, True)
            if hasattr(value, "resolve_expression"):
                return []
            prepared.append(field.get_db_prep_save(value, connection))
    return prepared


def _params(batch: _Batch, values: list[Any]) -> list[Any]:
    if not batch.by_column:
        return values
    width = len(batch.fields)
    return [BinaryArray(values[column::width]) for column in range(width)]


def _layout(orm: list[Any], values: list[Any], width: int) -> bool | None:
    """Whether the ORM's parameters are ``values`` row after row (False) or one array per
    column of ``width`` (True), compared by kind; None when neither."""

    def alike(ours: list[Any]) -> bool:
        return len(ours) == len(orm) and all(
            type(a) is type(b) and (not isinstance(a, list) or len(a) == len(b))
            for a, b in zip(ours, orm, strict=True)
        )

    if not values:
        return None
    if alike(values):
        return False
    if alike([values[column::width] for column in range(width)]):
        return True
    return None


def _orm_statement(
    batches: Sequence[Sequence[Model]], alias: str
) -> tuple[str, list[Any], list[list[Any]]]:
    """The ``WITH`` statement of these batches compiled by the ORM, its parameters, and each
    batch's own."""
    parts = [_insert_sql(batch, alias) for batch in batches]
    *first, (last_sql, _) = parts
    written = ", ".join(f"w{number} AS ({sql})" for number, (sql, _) in enumerate(first))
    each = [batch_params for _, batch_params in parts]
    sql = f"WITH {written} {last_sql}" if first else last_sql
    return sql, [param for params in each for param in params], each


def _compile(
    batches: Sequence[Sequence[Model]], alias: str
) -> tuple[_Shape | None, str, list[Any]]:
    """The shape of these batches (None when its values cannot be prepared here), with this
    call's statement and parameters."""
    sql, orm_params, each = _orm_statement(batches, alias)
    shape_batches: list[_Batch] = []
    params: list[Any] = []
    for batch, orm in zip(batches, each, strict=True):
        fields = _fields(type(batch[0]))
        values = _values(fields, batch, alias)
        by_column = _layout(orm, values, len(fields))
        if by_column is None:
            return None, sql, orm_params
        shape_batches.append(_Batch(fields=fields, by_column=by_column))
        params += _params(shape_batches[-1], values)
    # Our parameters, not the ORM's: ``pre_save`` ran again (a time set on save, say).
    return _Shape(sql=sql, batches=tuple(shape_batches)), sql, params


def _statement(batches: Sequence[Sequence[Model]], alias: str) -> tuple[str, list[Any]]:
    """The ``WITH`` statement of these batches and its parameters: compiled once per shape."""
    key = (alias, *((type(batch[0]), len(batch)) for batch in batches))
    if key not in _shapes:
        compiled, sql, params = _compile(batches, alias)
        with _shapes_lock:
            if len(_shapes) >= MAX_SHAPES:
                _shapes.clear()
            _shapes[key] = compiled
        return sql, params
    shape = _shapes.get(key)
    if shape is not None:
        params = []
        for batch, rows in zip(shape.batches, batches, strict=True):
            values = _values(batch.fields, rows, alias)
            if not values:  # an expression among them: the ORM's
                break
            params += _params(batch, values)
        else:
            return shape.sql, params
    sql, params, _ = _orm_statement(batches, alias)
    return sql, params


def _after(first: Sequence[tuple[str, list[Any]]], sql: str) -> str:
    """``sql`` with the ``first`` statements before it in its ``WITH`` clause."""
    ahead = ", ".join(f"u{number} AS ({first_sql})" for number, (first_sql, _) in enumerate(first))
    if sql.startswith("WITH "):
        return f"WITH {ahead}, {sql.removeprefix('WITH ')}"
    return f"WITH {ahead} {sql}"


def rows_insert(
    batches: Sequence[Sequence[Model]],
    *,
    using: str = "default",
    first: Sequence[tuple[str, list[Any]]] = (),
) -> None:
    """Insert each batch (rows of one model, in order); on PostgreSQL all of them in one
    statement (one batch alone too: its ``INSERT`` compiled once, not at each call as
    ``bulk_create`` does), elsewhere one ``INSERT`` per batch. Empty batches are skipped.

    ``first``: data-modifying statements (``(sql, params)``, an ``UPDATE`` say) to run before
    the inserts, in the same statement on PostgreSQL (in its ``WITH`` clause: one snapshot,
    so the inserts must not need to see what they change), one by one elsewhere."""
    batches = [batch for batch in batches if batch]
    connection = connections[using]
    if connection.vendor != "postgresql" or not batches:
        if first:
            with connection.cursor() as cursor:
                for first_sql, first_params in first:
                    cursor.execute(first_sql, first_params)
        for batch in batches:
            type(batch[0])._default_manager.db_manager(using).bulk_create(batch)
        return
    sql, params = _statement(batches, using)
    if first:
        sql = _after(first, sql)
        params = [param for _, first_params in first for param in first_params] + params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for batch in batches:
        for row in batch:
            row._state.adding, row._state.db = False, using


def _returning_sql(row: Model, alias: str) -> tuple[str, tuple[Field[Any, Any], ...]] | None:
    """One row's ``INSERT ... RETURNING`` its id, compiled by the ORM, with its fields; None
    when its values cannot be prepared here."""
    model = type(row)
    pk = model._meta.pk
    assert pk is not None
    fields = _fields(model)
    query = InsertQuery(model)
    query.insert_values(list(fields), [row], raw=False)
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = [pk]
    ((sql, orm),) = compiler.as_sql()
    values = _values(fields, [row], alias)
    # The backend's own RETURNING clause for the key ("table"."id" since Django 5.2).
    returning = compiler.connection.ops.return_insert_columns([pk])
    returns_id = returning is not None and sql.endswith(f" {returning[0]}")
    if not returns_id or _layout(list(orm), values, len(fields)) is not False:
        return None
    return sql, fields


_returning: dict[tuple[str, type[Model]], tuple[str, tuple[Field[Any, Any], ...]] | None] = {}


def row_insert(row: Model, *, using: str = "default") -> None:
    """Insert one new row and set its id, as ``save(force_insert=True)`` does for a model
    nobody listens to the saving of: on PostgreSQL its ``INSERT`` is compiled by the ORM once
    per model, its values prepared here afterwards; elsewhere (or for a row holding an
    expression, or a model with ``pre_save``/``post_save`` receivers) ``save`` does it."""
    model = type(row)
    connection = connections[using]
    plain = (
        connection.vendor == "postgresql"
        and row.pk is None
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
    )
    key = (using, model)
    if plain and key not in _returning:
        _returning[key] = _returning_sql(row, using)
    found = _returning.get(key) if plain else None
    values = _values(found[1], [row], using) if found is not None else []
    if found is None or not values:
        row.save(force_insert=True, using=using)
        return
    row._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(found[0], values)
        (pk,) = cursor.fetchone()
    row.pk = pk
    row._state.adding, row._state.db = False, using


_keyed: dict[tuple[str, type[Model]], tuple[str, tuple[Field[Any, Any], ...]]] = {}


def row_insert_statement(row: Model, *, using: str = "default") -> tuple[str, list[Any]] | None:
    """One new row's ``INSERT`` with its key given (``row.pk``, taken from its sequence by the
    caller), and its parameters, for a caller that runs it with its other writes
    (``rows_insert(first=...)``); compiled once per model, its values prepared as the ORM's
    compiler does. None when a value is an expression (the caller inserts the row itself)."""
    model = type(row)
    assert row.pk is not None, "the row's key comes from its sequence, read beforehand"
    key = (using, model)
    found = _keyed.get(key)
    if found is None:
        pk = model._meta.pk
        assert pk is not None
        fields = (pk, *_fields(model))
        query = InsertQuery(model)
        query.insert_values(list(fields), [row], raw=False)
        ((sql, _),) = query.get_compiler(using=using).as_sql()
        found = _keyed[key] = (sql, fields)
    values = _values(found[1], [row], using)
    if not values:
        return None
    row._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    return found[0], values


def inserted(row: Model, *, using: str = "default") -> None:
    """Mark ``row`` as stored (its ``INSERT`` ran with a caller's other writes)."""
    row._state.adding, row._state.db = False, using


def inserts_clear() -> None:
    """Forget the compiled shapes (tests that change the schema or the settings)."""
    with _shapes_lock:
        _shapes.clear()
        _returning.clear()
        _keyed.clear()
    _fields.cache_clear()
