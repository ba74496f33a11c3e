"""One model row inserted with SQL written once per model, its new id returned.

``Model.objects.create`` builds and compiles its ``INSERT`` at every call, which for a short
row takes the ORM longer than the database takes to write it. The statement's text depends on
the model only: it is written once, and each call sends the row's values, prepared as the
ORM prepares them (each field's default, ``pre_save`` and database preparation). Like
``bulk_create``, it sends no ``pre_save``/``post_save`` signal: for models no receiver
listens to.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field, Model


def insert_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """The columns an ``INSERT`` of the model writes: every concrete field but the key."""
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def prepared_values(row: Model, connection: Any, *, skip: str = "") -> list[Any]:
    """The row's values as the ORM's ``INSERT`` would send them (``pre_save`` sets the
    ``auto_now`` dates on the row), without the field whose attribute name is ``skip``."""
    return [
        field.get_db_prep_save(field.pre_save(row, True), connection=connection)
        for field in insert_fields(type(row))
        if field.attname != skip
    ]


@cache
def _insert_sql(model: type[Model], alias: str) -> str:
    connection = connections[alias]
    qn = connection.ops.quote_name
    fields = insert_fields(model)
    pk = model._meta.pk
    assert pk is not None
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
        f" VALUES ({', '.join('%s' for _ in fields)}) RETURNING {qn(pk.column)}"
    )


def row_insert(row: Model, *, using: str = "default") -> None:
    """Insert the new row and give it its id, as ``row.save(force_insert=True)`` would; the
    ORM's own save where the database cannot return the id from its ``INSERT``."""
    connection = connections[using]
    if not connection.features.can_return_columns_from_insert:
        row.save(force_insert=True, using=using)
        return
    params = prepared_values(row, connection)
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(row), using), params)
        (row.pk,) = cursor.fetchone()
    row._state.adding, row._state.db = False, using
