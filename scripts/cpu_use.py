"""Where a bench run's CPU went, read from Linux's ``/proc``: the server's processes (gunicorn's
master and its workers), the database's (every process named ``postgres``: its backends and
its writers, and any other database's work on the machine: run the bench alone), the load
generator's (the children this process reaped during the run) and the
machine's idle time.

    before = cpu_taken(server_pid)
    ... run wrk ...
    spent = cpu_spent(before, cpu_taken(server_pid), answers)

``cpu_spent`` gives milliseconds of CPU per answer for each, and the share of the machine's
time left idle: a run whose idle share is near 0 was bound by the CPU, and the milliseconds say
which process took it. Elsewhere than Linux the figures are None.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

# One reader of /proc for the benches: the service's (proctoring bench) and these scripts'.
from proctoring.devtools.cpu import PROC
from proctoring.devtools.cpu import process_seconds as process_seconds  # profile_writes
from proctoring.devtools.cpu import process_stat as _process_seconds
from proctoring.devtools.cpu import ticks_per_second as _ticks_per_second

DATABASE_COMMANDS = frozenset({"postgres"})


@dataclass(frozen=True)
class Taken:
    """CPU seconds taken so far (user and system): by each process of the server and of the
    database (by pid: a process may end or start between two readings), by the reaped
    children, and the machine's busy and total times."""

    server: dict[int, float]
    database: dict[int, float]
    load: float
    machine_busy: float
    machine_all: float


def _machine_seconds() -> tuple[float, float]:
    """Busy and total seconds of every CPU since boot (``/proc/stat``'s first line)."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal
    ticks = _ticks_per_second()
    return (total - idle) / ticks, total / ticks


def cpu_taken(server_pid: int) -> Taken | None:
    """What the server's processes, the database's and this process's reaped children have
    taken so far; None where ``/proc`` is missing."""
    if not (PROC / "stat").exists():
        return None
    server: dict[int, float] = {}
    database: dict[int, float] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, command, seconds = _process_seconds((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
        if int(entry.name) == server_pid or parent == server_pid:
            server[int(entry.name)] = seconds
        elif command in DATABASE_COMMANDS:
            database[int(entry.name)] = seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, total = _machine_seconds()
    return Taken(server, database, children.ru_utime + children.ru_stime, busy, total)


def cpu_spent(before: Taken | None, after: Taken | None, answers: int) -> dict[str, float | None]:
    """Milliseconds of CPU per answer of the server, the database and the load generator
    between two readings, and the share of the machine's time left idle."""
    if before is None or after is None or answers <= 0:
        return {"server": None, "database": None, "load": None, "idle_share": None}

    def per_answer(name: str) -> float:
        first, last = getattr(before, name), getattr(after, name)
        spent: float
        if isinstance(last, dict):
            # What each process took between the readings (all of it for one that started
            # meanwhile; nothing is known of one that ended).
            spent = sum(seconds - first.get(pid, 0.0) for pid, seconds in last.items())
        else:
            spent = float(last - first)
        return round(1000 * spent / answers, 3)

    elapsed = after.machine_all - before.machine_all
    busy = after.machine_busy - before.machine_busy
    return {
        "server": per_answer("server"),
        "database": per_answer("database"),
        "load": per_answer("load"),
        "idle_share": round(1 - busy / elapsed, 3) if elapsed > 0 else None,
    }
