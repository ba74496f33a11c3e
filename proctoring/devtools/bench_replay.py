"""The replay floor of ``proctoring bench``: the workload's own statements, without Django.

The scratch floor (``bench_floor``) runs an operation's statement kinds on a three-column
table; what it cannot tell is how much of an operation's time is the database's work on the
real statements (the real tables, their indexes, the history and event rows written) and how
much the service's own Python. The replay answers it on PostgreSQL:

1. Just before the workload, the bench database is copied (``CREATE DATABASE ... TEMPLATE``:
   ``database_copy``), Django's connection closed first (PostgreSQL copies a database no
   other session is connected to).
2. During the workload, every statement Django's connection sends is recorded in order
   (``statements_record``), with its parameters and the call it belongs to (an operation's
   name and the call's number; none for the workload's unmeasured statements: learners made
   in bulk, the setups, the outbox's deliveries), and so are the transactions' boundaries:
   autocommit turned off (psycopg sends ``BEGIN`` before the next statement), ``COMMIT`` and
   ``ROLLBACK``; savepoints are statements Django executes, recorded as such. The cost in a
   measured call: Django's execute wrapper around each statement (a function call and a
   tuple appended to a list: half a microsecond, measured on the bench's machine, where a
   status change's four statements take 1.5 ms) and a call and an append at each
   transaction's start and end.
3. After it, ``replay_measure`` sends the same statements, with the same parameters, in the
   same transactions, with raw psycopg (the connection's adapters, its ``prepare_threshold``,
   the binary arrays of ``core/pg_types``) to the copy, where each finds the rows and sequence
   values its original found. Each measured call's statements are timed together
   (``time.perf_counter``), and this process's CPU and the server's (``devtools/cpu``) are
   read around each run of one operation's consecutive calls.

An operation's time over its replay's is what Django and the service's Python add to the
statements; the replay over the scratch floor is what the real statements cost beyond the
floor's: above the floor's goal (2), no Python running those statements can meet it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import psycopg
from django.core.management.base import CommandError
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql
from psycopg.types.array import ListBinaryDumper

from proctoring.core.pg_types import TIMESTAMPTZ, BinaryArray, fast_tz_loader
from proctoring.devtools.bench_floor import psycopg_connect
from proctoring.devtools.cpu import ServerCpu

# What a recorded event is (its first field).
CALL = "CALL"  # a measured call begins (its statements follow)
EXECUTE = "EXECUTE"
EXECUTEMANY = "EXECUTEMANY"
BEGIN = "BEGIN"  # autocommit turned off: a transaction begins with the next statement
AUTOCOMMIT = "AUTOCOMMIT"  # autocommit turned on again
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"

CallId = tuple[str, int]  # an operation's name and the call's number
# (kind, call, sql, params, ok): ok is False for a statement that failed when recorded.
Event = tuple[str, CallId | None, str, Any, bool]

MAX_NAME = 63  # PostgreSQL's identifiers
SHOWN_SQL = 400  # characters of a statement shown in an error


@dataclass
class Recording:
    """The events of Django's connection, in order; ``call`` is the measured call under way
    (``OperationStats.measure`` sets it), else None."""

    events: list[Event] = field(default_factory=list)
    call: CallId | None = None

    def call_begin(self, name: str, number: int) -> None:
        self.call = (name, number)
        self.events.append((CALL, self.call, "", None, True))

    def call_end(self) -> None:
        self.call = None

    def __call__(
        self, execute: Callable[..., Any], statement: str, params: Any, many: bool, context: Any
    ) -> Any:
        """Django's execute wrapper: the statement goes on, then is recorded."""
        if many and not isinstance(params, list | tuple):
            params = list(params)  # an iterator would be spent by the time it is replayed
        kind = EXECUTEMANY if many else EXECUTE
        try:
            result = execute(statement, params, many, context)
        except Exception:
            self.events.append((kind, self.call, statement, params, False))
            raise
        self.events.append((kind, self.call, statement, params, True))
        return result

    def _transaction(self, kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any) -> Any:
            self.events.append((kind, self.call, kind, None, True))
            return original(*args)

        return recorded

    def _autocommit(self, original: Callable[[bool], Any]) -> Callable[[bool], Any]:
        def recorded(autocommit: bool) -> Any:
            self.events.append((AUTOCOMMIT if autocommit else BEGIN, self.call, "", None, True))
            return original(autocommit)

        return recorded


# The connection's methods through which its transactions begin and end (Django's query log
# sees them in ``debug_transaction``, not through a cursor).
_TRANSACTION_METHODS = ("_set_autocommit", "_commit", "_rollback")


@contextmanager
def statements_record(connection: BaseDatabaseWrapper) -> Iterator[Recording]:
    """Record every statement ``connection`` sends, and where its transactions begin and end,
    until the block ends."""
    recording = Recording()
    # Private methods of Django's BaseDatabaseWrapper (not in its type stubs: getattr).
    originals = {name: getattr(connection, name) for name in _TRANSACTION_METHODS}
    wrappers = {
        "_set_autocommit": recording._autocommit(originals["_set_autocommit"]),
        "_commit": recording._transaction(COMMIT, originals["_commit"]),
        "_rollback": recording._transaction(ROLLBACK, originals["_rollback"]),
    }
    for name, wrapper in wrappers.items():
        setattr(connection, name, wrapper)  # on this instance only
    try:
        with connection.execute_wrapper(recording):
            yield recording
    finally:
        for name in _TRANSACTION_METHODS:
            delattr(connection, name)


def _admin_connect(connection: BaseDatabaseWrapper) -> psycopg.Connection[Any]:
    """An autocommit connection to the server's ``postgres`` database, as Django's user."""
    admin: psycopg.Connection[Any] = psycopg_connect(connection, dbname="postgres")
    return admin


def copy_name(source: str) -> str:
    """The copy's name: the database's, a marker and a random suffix (63 bytes at most)."""
    suffix = f"_replay_{uuid.uuid4().hex[:8]}"
    return source[: MAX_NAME - len(suffix)] + suffix


@contextmanager
def database_copy(connection: BaseDatabaseWrapper) -> Iterator[str]:
    """A copy of ``connection``'s database as it is now (Django's connection closed first: it
    opens again at its next statement); its name, for the block; dropped afterwards."""
    source = str(connection.settings_dict["NAME"])
    name = copy_name(source)
    connection.close()
    create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(source)
    )
    with _admin_connect(connection) as admin:
        try:
            admin.execute(create)
        except psycopg.errors.ObjectInUse as exc:
            raise CommandError(
                f"The replay could not copy the bench database {source!r}: other sessions are "
                f"connected to it, and PostgreSQL copies a database (CREATE DATABASE ... "
                f"TEMPLATE) only when no other session is. Close them and run again. ({exc})"
            ) from exc
    try:
        yield name
    finally:
        with _admin_connect(connection) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def replay_connect(connection: BaseDatabaseWrapper, database: str) -> psycopg.Connection[Any]:
    """A raw psycopg connection to ``database`` in autocommit mode, configured as Django's
    (its adapters and cursor class, ``prepare_threshold``, time zone) with the types
    ``core/pg_types`` registers on Django's connections."""
    params = connection.get_connection_params()
    params["dbname"] = database
    raw: psycopg.Connection[Any] = psycopg.connect(**params, autocommit=True)
    raw.adapters.register_dumper(BinaryArray, ListBinaryDumper)
    loader = fast_tz_loader(connection.timezone)
    if loader is not None:
        raw.adapters.register_loader(TIMESTAMPTZ, loader)
    zone = connection.timezone_name
    if zone and raw.info.parameter_status("TimeZone") != zone:
        raw.execute(connection.ops.set_time_zone_sql(), [zone])
    return raw


class Replayer:
    """Sends recorded events to a raw connection in autocommit mode, with the transactions
    where the original had them: as psycopg does, a transaction's ``BEGIN`` goes before its
    first statement, and its ``COMMIT`` or ``ROLLBACK`` only when it began."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.autocommit = True
        self.in_transaction = False

    def run(self, number: int, event: Event) -> None:
        kind, call, statement, params, ok = event
        if kind == BEGIN:
            self.autocommit = False
        elif kind == AUTOCOMMIT:
            self.autocommit = True
        elif kind in (COMMIT, ROLLBACK):
            if self.in_transaction:
                self._send(number, call, kind, None)
                self.in_transaction = False
        elif kind in (EXECUTE, EXECUTEMANY):
            if not self.autocommit and not self.in_transaction:
                self._send(number, call, "BEGIN", None)
                self.in_transaction = True
            self._send(number, call, statement, params, many=kind == EXECUTEMANY, ok=ok)

    def _send(
        self,
        number: int,
        call: CallId | None,
        statement: str,
        params: Any,
        *,
        many: bool = False,
        ok: bool = True,
    ) -> None:
        try:
            if many:
                self.raw.cursor().executemany(statement, params)
            else:
                cursor = self.raw.execute(statement, params)
                if cursor.rownumber is not None:  # rows returned (cheaper than description)
                    cursor.fetchall()
        except psycopg.Error as exc:
            if ok:
                raise CommandError(
                    f"The replay of {_call_name(call)} failed at recorded event {number}, "
                    f"the statement {_shown(statement)} ({type(exc).__name__}: {exc})"
                ) from exc
        else:
            if not ok:
                raise CommandError(
                    f"The replay of {_call_name(call)}: recorded event {number}, the "
                    f"statement {_shown(statement)}, failed in the workload, not in the replay"
                )


def _call_name(call: CallId | None) -> str:
    return f"{call[0]} (call {call[1]})" if call else "the workload's unmeasured statements"


def _shown(statement: str) -> str:
    return statement if len(statement) <= SHOWN_SQL else statement[:SHOWN_SQL] + "..."


def _operation(unit: tuple[CallId | None, list[tuple[int, Event]]]) -> str | None:
    call = unit[0]
    return call[0] if call else None


def events_replay(
    raw: psycopg.Connection[Any], events: Sequence[Event]
) -> dict[str, dict[str, Any]]:
    """Replay ``events`` on ``raw``; for each operation, its calls' mean milliseconds and CPU
    per call (``{name: {"mean_ms", "calls", "cpu_ms": {"process", "database"}}}``)."""
    replayer = Replayer(raw)
    numbered = list(enumerate(events, 1))
    # The events of one call, or the unmeasured ones between calls, together; then the
    # consecutive calls of one operation together (a span of CPU read around them).
    units = [(call, list(group)) for call, group in groupby(numbered, key=lambda e: e[1][1])]
    seconds: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    servers: dict[str, ServerCpu] = {}
    for operation, span in groupby(units, key=_operation):
        if operation is None:
            for _, group in span:
                for number, event in group:
                    replayer.run(number, event)
            continue
        server = servers.setdefault(operation, ServerCpu(lambda: int(raw.info.backend_pid)))
        times = seconds.setdefault(operation, [])
        with server:
            cpu_started = time.process_time()
            for _, group in span:
                started = time.perf_counter()
                for number, event in group:
                    replayer.run(number, event)
                times.append(time.perf_counter() - started)
            cpu[operation] = cpu.get(operation, 0.0) + time.process_time() - cpu_started
    found = {}
    for operation, times in seconds.items():
        calls = len(times)
        found[operation] = {
            "mean_ms": round(1000 * sum(times) / calls, 3),
            "calls": calls,
            "cpu_ms": {
                "process": round(1000 * cpu[operation] / calls, 3),
                "database": servers[operation].per_call_ms(calls),
            },
        }
    return found


def replay_measure(
    connection: BaseDatabaseWrapper, database: str, recording: Recording
) -> dict[str, dict[str, Any]]:
    """The recording replayed on ``database`` (the copy taken before it): ``events_replay``."""
    with replay_connect(connection, database) as raw:
        return events_replay(raw, recording.events)
