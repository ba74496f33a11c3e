"""A page of the staff list of a course's attempts, its two reads compiled once per filter set.

Course staff page through ``attempt_list_for_course``: its count, then one page of rows. The
ORM built and compiled both queries at every page, which took it longer than the database
took to run them. Their SQL depends only on which filters are set: each set is compiled
once with stand-in values whose places among the parameters are noted; the page's bounds
are parameters too (``LIMIT %s OFFSET %s`` after the ORM's ``ORDER BY``), and the count is
``COUNT(*)`` over the same query. The rows' values go through their columns' converters, as
the ORM's ``values_list`` would (on PostgreSQL there are none for these columns).
A search (a prefix of the username or the email) is built by the ORM at each call: its
pattern is made from the searched text, which no stand-in can take the place of.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Stand-ins for the filters' values, found again among the compiled parameters.
STAND_INS: dict[str, Any] = {
    "course_id": "\x00stand-in course id",
    "exam_id": 2_073_400_001,
    "status": "\x00stand-in status",
}


@dataclass(frozen=True)
class _Page:
    count_sql: str
    page_sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]
    converters: list[tuple[int, list[Callable[..., Any]], Any]]


_pages: dict[tuple[Any, ...], _Page] = {}
_pages_lock = threading.Lock()


def _compile(queryset: QuerySet[Any]) -> _Page:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slots = {
        name: [i for i, value in enumerate(params) if type(value) is type(stand) and value == stand]
        for name, stand in STAND_INS.items()
    }
    select = compiler.select[: compiler.col_count]
    converters = compiler.get_converters([column[0] for column in select])
    return _Page(
        count_sql=f"SELECT COUNT(*) FROM ({sql}) counted",
        page_sql=f"{sql} LIMIT %s OFFSET %s",
        params=tuple(params),
        slots={name: places for name, places in slots.items() if places},
        converters=[(pos, convs, expression) for pos, (convs, expression) in converters.items()],
    )


def page_read(
    *,
    key: tuple[Any, ...],
    build: Callable[[Mapping[str, Any]], QuerySet[Any]],
    values: Mapping[str, Any],
    start: int,
    size: int,
) -> tuple[int, list[tuple[Any, ...]]]:
    """The count of ``build(values)``'s rows and its rows from ``start``, ``size`` at most,
    with the SQL compiled once for ``key`` (what shapes it: the filters set). ``build``
    makes an ordered ``values_list`` queryset from the values (``STAND_INS``' names)."""
    connection = connections["default"]
    key = (connection.alias, connection.vendor, *key)
    with _pages_lock:
        page = _pages.get(key)
    if page is None:
        page = _compile(build(STAND_INS))
        with _pages_lock:
            _pages[key] = page
    params = list(page.params)
    for name, places in page.slots.items():
        for place in places:
            params[place] = values[name]
    with connection.cursor() as cursor:
        cursor.execute(page.count_sql, params)
        (count,) = cursor.fetchone()
        if count <= start:
            return count, []
        cursor.execute(page.page_sql, [*params, size, start])
        found = cursor.fetchall()
    rows = []
    for row_values in found:
        row = list(row_values)
        for pos, convs, expression in page.converters:
            value = row[pos]
            for converter in convs:
                value = converter(value, expression, connection)
            row[pos] = value
        rows.append(tuple(row))
    return count, rows
