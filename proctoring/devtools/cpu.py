"""The CPU a process of this machine has taken, read from Linux's ``/proc``: the bench's own
process and the database server's process serving its connection (PostgreSQL's backend, on
this machine), so that a figure says where an operation's time went. Elsewhere than Linux
(or for a database on another machine) the figures are None.

``/proc`` counts in clock ticks (a hundredth of a second here): one short call reads 0 or a
tick, and only a sum over many calls is worth reading.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


def ticks_per_second() -> int:
    return int(os.sysconf("SC_CLK_TCK"))


def process_stat(stat: str) -> tuple[int, str, float]:
    """The parent pid, command and CPU seconds (utime + stime) of a ``/proc/PID/stat`` line."""
    name_end = stat.rindex(")")
    command = stat[stat.index("(") + 1 : name_end]
    fields = stat[name_end + 2 :].split()
    # After the command: state(0) ppid(1) ... utime(11) stime(12)
    return int(fields[1]), command, (int(fields[11]) + int(fields[12])) / ticks_per_second()


def process_seconds(pid: int) -> float | None:
    """CPU seconds (user and system) a process of this machine has taken so far; None when
    there is no such process here (or no ``/proc``)."""
    try:
        return process_stat((PROC / str(pid) / "stat").read_text())[2]
    except (OSError, ValueError, IndexError):
        return None


def database_process(pid: int | None) -> int | None:
    """``pid`` when it is a PostgreSQL process of this machine (the server process serving a
    connection, whose id the connection reports), else None (the server runs elsewhere: a
    process of that id here is another's)."""
    if pid is None:
        return None
    try:
        command = process_stat((PROC / str(pid) / "stat").read_text())[1]
    except (OSError, ValueError, IndexError):
        return None
    return pid if command == "postgres" else None


class ServerCpu:
    """The CPU the database server process serving a connection takes over spans of calls
    (``with server_cpu: ...`` around a loop of them, not around each: reading ``/proc``
    between two calls would slow the next one down); ``seconds`` stays None when it cannot
    be read (SQLite runs in this process; a server on another machine)."""

    def __init__(self, backend_pid: Callable[[], int | None]) -> None:
        self._backend_pid = backend_pid
        self.seconds: float | None = 0.0
        self._before: tuple[int | None, float | None] = (None, None)

    def __enter__(self) -> ServerCpu:
        pid = database_process(self._backend_pid())
        self._before = (pid, process_seconds(pid) if pid is not None else None)
        return self

    def __exit__(self, *exc: object) -> None:
        pid, before = self._before
        after = process_seconds(pid) if pid is not None else None
        if before is None or after is None or self.seconds is None:
            self.seconds = None
        else:
            self.seconds += after - before

    def per_call_ms(self, calls: int) -> float | None:
        if self.seconds is None or calls <= 0:
            return None
        return round(1000 * self.seconds / calls, 3)
