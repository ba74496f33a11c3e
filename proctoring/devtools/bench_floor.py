"""The floor of ``proctoring bench``: raw database calls in each operation's shape.

An operation's shape is the kinds of the statements its call sent, in order (``BEGIN``, a
locked ``SELECT``, ``UPDATE``, ``INSERT``..., ``COMMIT``); a list's reads, which the kinds
do not tell from a one-row read, are named by the bench (``COUNT``, then a ``PAGE`` of 50
rows). The floor runs the same shape with
the database's own driver (psycopg on PostgreSQL, sqlite3 on SQLite), no Django: a primary-key
``SELECT`` (``FOR UPDATE`` where the call locked), an ``UPDATE`` or ``DELETE`` of one row, an
``INSERT`` of one row, on a scratch table of the bench database, in the same transactions.
What an operation takes beyond its floor is the service's own time: Python, the ORM, Django.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

from proctoring.devtools.cpu import ServerCpu

ROWS = 100  # rows of the scratch table the statements read and change
PAGE_ROWS = 50  # rows a PAGE reads (a page of the staff list)
FLOOR_GOAL = 2.0  # an operation within twice its floor (issue 9)


def statement_kind(sql: str) -> str:
    """``BEGIN``, ``COMMIT``, ``SAVEPOINT``, ``RELEASE``, ``ROLLBACK``, ``SELECT``, ``LOCK``
    (a ``SELECT ... FOR UPDATE``), ``INSERT``, ``UPDATE``, ``DELETE``, ``WITH`` (on
    PostgreSQL, a change's history and event ``INSERT``s in one statement) or ``WITH UPDATE``
    (the attempt's ``UPDATE`` with them: core/inserts.py)."""
    text = sql.lstrip().upper()
    word = text.split(None, 1)[0] if text else ""
    if word == "SELECT" and " FOR UPDATE" in text:
        return "LOCK"
    if word == "WITH" and text.startswith("WITH U0 AS (UPDATE "):
        return "WITH UPDATE"
    return word


def psycopg_connect(connection: Any, dbname: str | None = None) -> Any:
    """A psycopg connection in autocommit mode as Django's ``connection`` user, to its
    database or to ``dbname``: its address and credentials only, none of Django's options."""
    import psycopg

    params = connection.get_connection_params()
    keep = ("dbname", "user", "password", "host", "port")
    found = {k: v for k, v in params.items() if k in keep}
    if dbname is not None:
        found["dbname"] = dbname
    return psycopg.connect(**found, autocommit=True)


@contextmanager
def _raw_connection() -> Iterator[Any]:
    """A connection of the database's own driver to the bench database, in autocommit mode
    (the shape says where transactions begin and end)."""
    raw: Any
    if connection.vendor == "postgresql":
        raw = psycopg_connect(connection)
    else:
        raw = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
    try:
        yield raw
    finally:
        raw.close()


class Floor:
    """The scratch table and one connection; ``time(shape)`` runs a shape once, timed."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.table = f"bench_floor_{uuid.uuid4().hex[:10]}"
        self.postgresql = connection.vendor == "postgresql"
        mark = "%s" if self.postgresql else "?"
        lock = " FOR UPDATE" if self.postgresql else ""
        begin = "BEGIN" if self.postgresql else "BEGIN IMMEDIATE"
        select = f"SELECT id, n, note FROM {self.table} WHERE id = {mark}"
        self.statements: dict[str, tuple[str, Callable[[int], Sequence[Any]]]] = {
            "BEGIN": (begin, lambda i: ()),
            "COMMIT": ("COMMIT", lambda i: ()),
            "ROLLBACK": ("ROLLBACK", lambda i: ()),
            "SAVEPOINT": ("SAVEPOINT floor", lambda i: ()),
            "RELEASE": ("RELEASE SAVEPOINT floor", lambda i: ()),
            "SELECT": (select, lambda i: (i % ROWS + 1,)),
            # A list's two reads: its count over the table's first rows, and one page of them.
            "COUNT": (f"SELECT COUNT(*) FROM {self.table} WHERE id <= {mark}", lambda i: (ROWS,)),
            "PAGE": (
                f"SELECT id, n, note FROM {self.table} WHERE id <= {mark}"
                f" ORDER BY id DESC LIMIT {PAGE_ROWS} OFFSET {mark}",
                lambda i: (ROWS, (i % 2) * PAGE_ROWS),
            ),
            "LOCK": (select + lock, lambda i: (i % ROWS + 1,)),
            "UPDATE": (
                f"UPDATE {self.table} SET n = n + 1 WHERE id = {mark}",
                lambda i: (i % ROWS + 1,),
            ),
            "DELETE": (f"DELETE FROM {self.table} WHERE id = {mark}", lambda i: (-1,)),
            "INSERT": (
                f"INSERT INTO {self.table} (n, note) VALUES ({mark}, {mark})",
                lambda i: (i, "floor"),
            ),
            # Two one-row INSERTs in one statement (PostgreSQL only: core/inserts.py).
            "WITH": (
                f"WITH w0 AS (INSERT INTO {self.table} (n, note) VALUES ({mark}, {mark}))"
                f" INSERT INTO {self.table} (n, note) VALUES ({mark}, {mark})",
                lambda i: (i, "floor", i, "floor"),
            ),
            # A row's UPDATE and two one-row INSERTs in one statement (PostgreSQL only).
            "WITH UPDATE": (
                f"WITH u0 AS (UPDATE {self.table} SET n = n + 1 WHERE id = {mark}),"
                f" w0 AS (INSERT INTO {self.table} (n, note) VALUES ({mark}, {mark}))"
                f" INSERT INTO {self.table} (n, note) VALUES ({mark}, {mark})",
                lambda i: (i % ROWS + 1, i, "floor", i, "floor"),
            ),
        }
        self.calls = 0

    def create(self) -> None:
        key = "BIGSERIAL PRIMARY KEY" if self.postgresql else "INTEGER PRIMARY KEY AUTOINCREMENT"
        self.raw.execute(f"CREATE TABLE {self.table} (id {key}, n INTEGER, note TEXT)")
        for number in range(ROWS):
            self.raw.execute(*self._insert(number))

    def _insert(self, number: int) -> tuple[str, Sequence[Any]]:
        sql, params = self.statements["INSERT"]
        return sql, params(number)

    def backend_pid(self) -> int | None:
        """The PostgreSQL server process serving the floor's connection, else None."""
        return int(self.raw.info.backend_pid) if self.postgresql else None

    def drop(self) -> None:
        self.raw.execute(f"DROP TABLE IF EXISTS {self.table}")

    def time(self, shape: Sequence[str]) -> float:
        """Seconds to run the shape once (unknown kinds run as a ``SELECT``)."""
        self.calls += 1
        started = time.perf_counter()
        for kind in shape:
            sql, params = self.statements.get(kind, self.statements["SELECT"])
            cursor = self.raw.execute(sql, params(self.calls))
            if kind in ("SELECT", "LOCK", "COUNT", "PAGE"):
                cursor.fetchall()
        return time.perf_counter() - started


def floors_measure(shapes: dict[str, tuple[Sequence[str], int]]) -> dict[str, dict[str, Any]]:
    """For each operation, its shape run as many times as the operation was called: the
    shape and the mean milliseconds, ``{name: {"shape": [...], "mean_ms": ..., ...}}``."""
    found: dict[str, dict[str, Any]] = {}
    with _raw_connection() as raw:
        floor = Floor(raw)
        floor.create()
        try:
            for name, (shape, calls) in shapes.items():
                floor.time(shape)  # a first run: statements prepared, pages in memory
                server_cpu = ServerCpu(floor.backend_pid)
                with server_cpu:
                    cpu_started = time.process_time()
                    seconds = [floor.time(shape) for _ in range(max(calls, 1))]
                    cpu_seconds = time.process_time() - cpu_started
                mean = sum(seconds) / len(seconds)
                found[name] = {
                    "shape": list(shape),
                    "calls": len(seconds),
                    "mean_ms": round(1000 * mean, 3),
                    "ops_per_second": round(1 / mean, 1) if mean > 0 else 0.0,
                    "cpu_ms": {
                        "process": round(1000 * cpu_seconds / len(seconds), 3),
                        "database": server_cpu.per_call_ms(len(seconds)),
                    },
                }
        finally:
            floor.drop()
    return found
