"""Running one call in several threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def run_together(call: Callable[[], T], copies: int = 2, timeout: float = 120) -> list[T]:
    """``call`` in ``copies`` threads released at the same moment; their results (an error in
    any thread is raised here)."""
    barrier = threading.Barrier(copies)
    results: list[T] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results.append(call())
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job, daemon=True) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]
    return results
