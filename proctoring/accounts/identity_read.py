"""The read of a platform identity and its user, in hand-written SQL written once per process.

Every request with a token new to the process reads its identity (``platform_user_sync``):
each learner's write in an exam is such a request. Building and compiling that query with
the ORM cost more CPU than PostgreSQL spent running it, and its 860 bytes of SQL were
parsed again by psycopg at each call. Here its SQL is written once, short (table aliases),
from the models' own columns (a field added to a model is read too); each row is turned
into model instances with the fields' own converters, as the ORM would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Model

from proctoring.accounts.models import PlatformIdentity

# A model, its columns' attribute names in order, and each column's converters with the
# expression they are given.
_Reader = tuple[type[Model], list[str], list[tuple[list[Callable[..., Any]], Any]]]


def _reader(model: type[Model], alias: str, connection: Any) -> _Reader:
    fields = list(model._meta.concrete_fields)
    converters: list[tuple[list[Callable[..., Any]], Any]] = []
    for field in fields:
        column = field.get_col(alias)
        found = list(connection.ops.get_db_converters(column))
        found += field.get_db_converters(connection)  # type: ignore[attr-defined]
        converters.append((found, column))
    return model, [field.attname for field in fields], converters


@cache
def identity_statement(alias: str, vendor: str) -> tuple[str, list[_Reader]]:
    """The SQL of the read on this database (parameters: issuer, subject), and how to read
    the identity's columns, then its user's."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    user_model = get_user_model()
    identity, user = PlatformIdentity._meta, user_model._meta
    columns = [f"i.{qn(field.column)}" for field in identity.concrete_fields]
    columns += [f"u.{qn(field.column)}" for field in user.concrete_fields]
    sql = (
        f"SELECT {', '.join(columns)}"
        f" FROM {qn(identity.db_table)} i"
        f" INNER JOIN {qn(user.db_table)} u"
        f" ON u.{qn(user.pk.column)} = i.{qn(identity.get_field('user').column)}"
        f" WHERE i.{qn(identity.get_field('issuer').column)} = %s"
        f" AND i.{qn(identity.get_field('subject').column)} = %s LIMIT 1"
    )
    readers = [
        _reader(PlatformIdentity, identity.db_table, connection),
        _reader(user_model, user.db_table, connection),
    ]
    return sql, readers


def _instance(reader: _Reader, values: Any, connection: Any) -> Any:
    model, names, converters = reader
    converted = []
    for value, (field_converters, column) in zip(values, converters, strict=True):
        for converter in field_converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def identity_read(*, issuer: str, subject: str) -> PlatformIdentity | None:
    """The platform identity of this issuer and subject with its user loaded, or None: as
    ``PlatformIdentity.objects.select_related("user").filter(...).first()``, in one
    statement compiled once."""
    connection = connections["default"]
    sql, readers = identity_statement(connection.alias, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [issuer, subject])
        row = cursor.fetchone()
    if row is None:
        return None
    identity_reader, user_reader = readers
    split = len(identity_reader[1])
    identity: PlatformIdentity = _instance(identity_reader, row[:split], connection)
    identity.user = _instance(user_reader, row[split:], connection)
    return identity
