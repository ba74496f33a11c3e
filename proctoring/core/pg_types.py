"""Faster conversions between psycopg and PostgreSQL for the hot paths: ``timestamptz``
values read by psycopg's C parser, and arrays of parameters sent in binary.

**Timestamps.**
Django reads every ``timestamptz`` through its own loader (``BaseTzLoader`` of
``django.db.backends.postgresql.psycopg_any``): psycopg's pure-Python text loader, whose
result it gives the connection's time zone. A subclass is never swapped for psycopg's C
version of the loader, so each value is parsed in Python (a regular expression, then the
fields): half the time of a staff page of 50 attempts, and a part of every attempt read.

``FastTzLoader`` gives the same values (the same ``datetime``, in the connection's time zone)
from psycopg's C loader when psycopg's C extension is there; it is registered on each new
PostgreSQL connection, for the connection's time zone, so that Django's cursors keep it (a
cursor gets Django's loader back only when the connection's time zone changed, as in a test
overriding ``TIME_ZONE``). Without the C extension nothing is registered.

**Arrays.** A batch of rows written in one statement sends one array per column (``UNNEST``:
core/inserts.py, a cascade's new attempts, many attempts' ``UPDATE``). psycopg sends a list
in its text form, escaping each element with a regular expression in Python: a cascade's
arrays took a tenth of its time. A ``BinaryArray`` (a list) is sent in PostgreSQL's binary
form, each element by psycopg's binary dumper of its type; the statement's cast
(``(%s)::varchar[]``...) gives the array its column's type as before. Django's rendering of a
statement for its query log (a client-side cursor) still writes it as text.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django.db.backends.signals import connection_created
from psycopg.adapt import Loader
from psycopg.types.array import ListBinaryDumper

_c_module: Any
try:
    from psycopg._cmodule import _psycopg as _c_module
except ImportError:  # psycopg without its C extension (psycopg[c] or psycopg[binary])
    _c_module = None

TIMESTAMPTZ = "timestamptz"


class BinaryArray(list[Any]):
    """A list of values sent to PostgreSQL as a binary array (one column of a batch)."""


def array_placeholder(field: Any, connection: Any) -> str:
    """The placeholder of one column's array of values, cast to the column's type without its
    length (``varchar[]``, not ``varchar(64)[]``: nothing is cut), as the ORM's ``UNNEST``."""
    return f"(%s)::{str(field.db_type(connection)).split('(')[0]}[]"


def fast_tz_loader(zone: tzinfo | None) -> type[Loader] | None:
    """A text loader of ``timestamptz`` parsing in C and giving its values the time zone
    ``zone`` (none: naive values), as Django's loader of that zone does; None without the C
    extension."""
    if _c_module is None:
        return None
    parser_class = _c_module.TimestamptzLoader

    class FastTzLoader(Loader):
        timezone = zone  # Django's cursors compare it with the connection's time zone

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._parser = parser_class(oid, context)

        def load(self, data: Any) -> Any:
            return self._parser.load(data).replace(tzinfo=zone)

    return FastTzLoader


def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    adapters.register_dumper(BinaryArray, ListBinaryDumper)
    loader = fast_tz_loader(connection.timezone)
    if loader is not None:
        adapters.register_loader(TIMESTAMPTZ, loader)


def pg_types_install() -> None:
    """Register ``FastTzLoader`` and ``BinaryArray``'s dumper on every PostgreSQL connection
    opened from now on."""
    connection_created.connect(_register, dispatch_uid="proctoring.core.pg_types")
