"""Checking ids that callers pass, so a bad id is a clear error and never a crash."""

from __future__ import annotations

from typing import Any


def as_id(value: Any) -> int | None:
    """The positive integer id that ``value`` names, or None when it names none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
        return number if 0 < number < 2**63 else None
    return None
