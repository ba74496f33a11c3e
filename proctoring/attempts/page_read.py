"""A page of the staff list of a course's attempts, its two reads compiled once per filter set.

Course staff page through ``attempt_list_for_course``: its count, then one page of rows. The
ORM built and compiled both queries at every page, which took it longer than the database
took to run them. Their SQL depends only on which filters are set: each set is compiled
once with stand-in values whose places among the parameters are noted; the page's bounds
are parameters too (``LIMIT %s OFFSET %s`` after the ORM's ``ORDER BY``), and the count is
``COUNT(*)`` over the same query's ids, unsorted. The rows' values go through their
columns' converters, as the ORM's ``values_list`` would (none on PostgreSQL here).
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

from proctoring.core.compiled import params_filled, row_converted

# Stand-ins for the filters' values, found again among the compiled parameters.
STAND_INS: dict[str, Any] = {
    "course_id": "\x00stand-in course id",
    "exam_id": 2_073_400_001,
    "status": "\x00stand-in status",
}


@dataclass(frozen=True)
class _Page:
    count_sql: str
    count_params: tuple[Any, ...]
    count_slots: dict[str, list[int]]
    page_sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]
    converters: list[tuple[int, list[Callable[..., Any]], Any]]


_pages: dict[tuple[Any, ...], _Page] = {}
_pages_lock = threading.Lock()


def _slots(params: Any) -> dict[str, list[int]]:
    found = {
        name: [i for i, value in enumerate(params) if type(value) is type(stand) and value == stand]
        for name, stand in STAND_INS.items()
    }
    return {name: places for name, places in found.items() if places}


def _compile(queryset: QuerySet[Any], columns: tuple[str, ...]) -> _Page:
    counted = queryset.order_by().values("pk")  # no sort, no join the count does not need
    count_sql, count_params = counted.query.get_compiler(using=queryset.db).as_sql()
    compiler = queryset.values_list(*columns).query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    select = compiler.select[: compiler.col_count]
    converters = compiler.get_converters([column[0] for column in select])
    return _Page(
        count_sql=f"SELECT COUNT(*) FROM ({count_sql}) counted",
        count_params=tuple(count_params),
        count_slots=_slots(count_params),
        page_sql=f"{sql} LIMIT %s OFFSET %s",
        params=tuple(params),
        slots=_slots(params),
        converters=[(pos, convs, expression) for pos, (convs, expression) in converters.items()],
    )


def page_read(
    *,
    key: tuple[Any, ...],
    build: Callable[[Mapping[str, Any]], QuerySet[Any]],
    columns: tuple[str, ...],
    values: Mapping[str, Any],
    start: int,
    size: int,
) -> tuple[int, list[tuple[Any, ...]]]:
    """The count of ``build(values)``'s rows and their ``columns`` from ``start``, ``size``
    rows at most, with the SQL compiled once for ``key`` (what shapes it: the filters set).
    ``build`` makes the ordered queryset from the values (``STAND_INS``' names)."""
    connection = connections["default"]
    key = (connection.alias, connection.vendor, *key)
    with _pages_lock:
        page = _pages.get(key)
    if page is None:
        page = _compile(build(STAND_INS), columns)
        with _pages_lock:
            _pages[key] = page
    with connection.cursor() as cursor:
        cursor.execute(page.count_sql, params_filled(page.count_params, page.count_slots, values))
        (count,) = cursor.fetchone()
        if count <= start:
            return count, []
        cursor.execute(
            page.page_sql, [*params_filled(page.params, page.slots, values), size, start]
        )
        found = cursor.fetchall()
    return count, [tuple(row_converted(row, page.converters, connection)) for row in found]
