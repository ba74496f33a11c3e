"""What the statements compiled once per process share (``attempts/lock_sql.py``,
``cascade_sql.py``, ``create_sql.py``, ``page_read.py``): a call's values put in their places
among the compiled parameters, and a row's values turned into Python by the fields' own
converters, as the ORM's compiler turns them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Per converted column: its position in the row, its converters, and the expression they take.
Converters = Sequence[tuple[int, Sequence[Callable[..., Any]], Any]]


def params_filled(
    params: Sequence[Any], slots: Mapping[str, Sequence[int]], values: Mapping[str, Any]
) -> list[Any]:
    """The compiled ``params`` with each value of ``values`` in its ``slots`` (the places its
    stand-in took when the statement was compiled)."""
    filled = list(params)
    for name, places in slots.items():
        for place in places:
            filled[place] = values[name]
    return filled


def row_converted(row: Sequence[Any], converters: Converters, connection: Any) -> list[Any]:
    """The row's values, each converted column through its converters in turn."""
    converted = list(row)
    for position, functions, expression in converters:
        value = converted[position]
        for function in functions:
            value = function(value, expression, connection)
        converted[position] = value
    return converted
