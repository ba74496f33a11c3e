"""PostgreSQL's ``timestamptz`` values read by psycopg's C parser, not its Python one.

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
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django.db.backends.signals import connection_created
from psycopg.adapt import Loader

_c_module: Any
try:
    from psycopg._cmodule import _psycopg as _c_module
except ImportError:  # psycopg without its C extension (psycopg[c] or psycopg[binary])
    _c_module = None

TIMESTAMPTZ = "timestamptz"


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
    loader = fast_tz_loader(connection.timezone)
    if loader is not None:
        connection.connection.adapters.register_loader(TIMESTAMPTZ, loader)


def fast_tz_loader_install() -> None:
    """Register ``FastTzLoader`` on every PostgreSQL connection opened from now on."""
    connection_created.connect(_register, dispatch_uid="proctoring.core.pg_types")
