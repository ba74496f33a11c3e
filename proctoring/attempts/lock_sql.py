"""The lock's statement compiled once per shape, not at every status change.

Every write locks its attempt with ``attempt_lock``: a query with its exam, course and user
joined, ``FOR UPDATE OF`` the attempt row, and the sub-selects of the learner's allowances
or of a caller's check. Building and compiling that query took the ORM longer than
PostgreSQL took to run it. Its SQL does not change from one call to the next, only the ids
it matches: so the ORM compiles each shape once, with stand-in ids whose places among the
parameters are noted, and later calls run that SQL with their own ids, turning the row into
model instances as the ORM would (its converters, its related populators, its annotations).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.transaction import TransactionManagementError

from proctoring.attempts.models import Attempt
from proctoring.attempts.short_sql import sql_shortened
from proctoring.core.compiled import params_filled, row_converted

# Stand-ins for the values a lock matches: ids no row takes, and texts no platform sends
# (control characters), found again among the compiled parameters.
STAND_INS: dict[str, Any] = {
    "pk": -7_310_000_001,
    "exam_id": -7_310_000_002,
    "user_id": -7_310_000_003,
    "issuer": "\x1fstand-in:issuer",
    "subject": "\x1fstand-in:subject",
    "claims_digest": "\x1fstand-in:claims_digest",
}
# Shapes kept per process: a handful are used (start, submit, a review, a start with its
# session check...); the bound only guards against callers building annotations anew.
MAX_SHAPES = 64


@dataclass(frozen=True)
class _Shape:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]  # each matched name's places among the parameters
    names: list[str]  # the attempt's columns' attribute names
    end: int  # where the attempt's columns end in the row
    converters: list[tuple[int, list[Callable[..., Any]], Any]]
    populators: list[Any]
    annotation_cols: dict[str, int]
    locks: bool  # FOR UPDATE in the SQL: only inside a transaction
    kept: Any  # the annotations whose ids key this shape, kept alive with it


_shapes: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()
_shapes_lock = threading.Lock()


def _compile(
    build: Callable[[Mapping[str, Any]], QuerySet[Attempt]], kept: Any, unique: bool
) -> _Shape:
    queryset = build(STAND_INS)
    if unique:
        queryset = queryset.order_by()  # one row at most: no order nor limit to ask for
    else:
        queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]  # .first()
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    if compiler.connection.vendor == "postgresql":
        sql = sql_shortened(sql)  # under psycopg's cache of parsed statements
    slots = {
        name: [
            i
            for i, value in enumerate(params)
            if type(value) is type(stand_in) and value == stand_in
        ]
        for name, stand_in in STAND_INS.items()
    }
    klass_info = compiler.klass_info
    assert klass_info is not None
    select = compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    assert start == 0
    converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
    return _Shape(
        sql=sql,
        params=tuple(params),
        slots={name: places for name, places in slots.items() if places},
        names=[column[0].target.attname for column in select[start:end]],
        end=end,
        converters=[(pos, convs, expression) for pos, (convs, expression) in converters.items()],
        populators=get_related_populators(klass_info, select, queryset.db),
        annotation_cols=dict(compiler.annotation_col_map or {}),
        locks=bool(queryset.query.select_for_update),
        kept=kept,
    )


def _shape(
    key: tuple[Any, ...],
    build: Callable[[Mapping[str, Any]], QuerySet[Attempt]],
    kept: Any,
    unique: bool,
) -> _Shape:
    with _shapes_lock:
        found = _shapes.get(key)
        if found is not None:
            _shapes.move_to_end(key)
            return found
    compiled = _compile(build, kept, unique)
    with _shapes_lock:
        _shapes[key] = compiled
        while len(_shapes) > MAX_SHAPES:
            _shapes.popitem(last=False)
    return compiled


def lock_run(
    *,
    key: tuple[Any, ...],
    build: Callable[[Mapping[str, Any]], QuerySet[Attempt]],
    values: Mapping[str, Any],
    kept: Any = None,
    unique: bool = False,
) -> Attempt | None:
    """The first attempt ``build(values)`` finds, read with the SQL compiled for ``key``.

    ``build`` makes the queryset from the matched ids (``STAND_INS``' names); ``key`` names
    everything else that shapes its SQL, and ``kept`` holds any object whose ``id`` is in
    the key (so that no other object takes that id while the shape is cached). ``unique``:
    ``build`` finds one row at most (by its id), so no order is asked of the database.
    """
    connection = connections["default"]
    shape = _shape((connection.alias, connection.vendor, unique, *key), build, kept, unique)
    if shape.locks and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    params = params_filled(shape.params, shape.slots, values)
    with connection.cursor() as cursor:
        cursor.execute(shape.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    row = row_converted(found, shape.converters, connection)
    attempt: Attempt = Attempt.from_db(connection.alias, shape.names, row[: shape.end])
    for populator in shape.populators:
        populator.populate(row, attempt)
    for name, pos in shape.annotation_cols.items():
        setattr(attempt, name, row[pos])
    return attempt


def lock_shapes_clear() -> None:
    """Forget the compiled shapes (tests that change the schema or the settings)."""
    with _shapes_lock:
        _shapes.clear()
