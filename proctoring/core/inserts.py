"""Rows of several models inserted in one statement where the database allows it.

A status change writes its history row and its event row at its end: two ``INSERT``s whose
round trips cost a write as much as its lock. PostgreSQL runs data-modifying statements in a
``WITH`` clause, so the rows of every model go in one statement there (each model's rows one
``INSERT``, all but the last in the ``WITH``). SQLite has no such clause: one ``INSERT`` per
model there, as ``bulk_create`` does.

Each model's ``INSERT`` is compiled by the ORM (its fields' defaults, ``pre_save`` and
database preparation, as ``bulk_create`` would), then joined. The rows do not get their ids
back: callers that need them use ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField
from django.db.models.sql import InsertQuery

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def _insert_sql(rows: Sequence[Model], alias: str) -> tuple[str, list[Any]]:
    model = type(rows[0])
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, _AUTO)]
    query = InsertQuery(model)
    query.insert_values(fields, list(rows), raw=False)
    compiled = query.get_compiler(using=alias).as_sql()
    if len(compiled) != 1:  # the database cannot insert these rows in one statement
        raise ValueError(f"{model.__name__} rows need {len(compiled)} statements")
    sql, params = compiled[0]
    return sql, list(params)


def rows_insert(batches: Sequence[Sequence[Model]], *, using: str = "default") -> None:
    """Insert each batch (rows of one model, in order); on PostgreSQL all of them in one
    statement, elsewhere one ``INSERT`` per batch. Empty batches are skipped."""
    batches = [batch for batch in batches if batch]
    if not batches:
        return
    connection = connections[using]
    if connection.vendor != "postgresql" or len(batches) == 1:
        for batch in batches:
            type(batch[0])._default_manager.db_manager(using).bulk_create(batch)
        return
    parts = [_insert_sql(batch, using) for batch in batches]
    *first, (last_sql, last_params) = parts
    written = ", ".join(f"w{number} AS ({sql})" for number, (sql, _) in enumerate(first))
    params = [param for _, batch_params in first for param in batch_params]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {written} {last_sql}", [*params, *last_params])
    for batch in batches:
        for row in batch:
            row._state.adding, row._state.db = False, using
