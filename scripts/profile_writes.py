"""The CPU of one request, in process: each request of the wrk bench's poll and write phases
(start, submit, verify, reject) and of their floors played through Django's WSGI handler,
as a gunicorn worker runs it, with its process time (``time.process_time``) and its SQL
statements (``X-Query-Count``); ``--profile PHASE`` prints a cProfile of that phase's requests.

    .venv/bin/python scripts/profile_writes.py --database-url URL [--requests 300]
        [--profile start] [--top 25]

The data is the wrk bench's (``bench_wrk.make_world``: each attempt written once, each learner
with its own JWT). What authentication keeps (``rest/auth_cache.py``) is cleared before each
phase: a learner's token is new to the process at its write, as in the bench, and the staff
member's is known after its first request.
The first ``--warm`` requests of each phase are played but not measured (compiled lock shapes,
prepared statements). Run it on a throwaway migrated database: it leaves its data behind.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
import uuid
from typing import Any

from bench_support import django_ready
from bench_wrk import make_world
from cpu_use import process_seconds

PHASES = ("floor_read", "poll", "floor_write", "start", "submit", "verify", "reject")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=300, help="requests per phase (300)")
    parser.add_argument("--warm", type=int, default=20, help="unmeasured first requests (20)")
    parser.add_argument("--profile", choices=PHASES, help="print a cProfile of this phase")
    parser.add_argument("--top", type=int, default=25, help="functions the profile lists (25)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url (or set DATABASE_URL)")
    if args.requests <= args.warm:
        parser.error("--requests must be more than --warm")
    return args


def _environ(line: str) -> dict[str, Any]:
    method, path, token, body = line.split("\t")
    data = b"" if body == "-" else body.encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/json",
    }
    if token != "-":
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def _backend_seconds() -> float | None:
    """CPU seconds the database's server process for this connection has taken so far (a
    PostgreSQL backend on this machine, read from ``/proc``), else None (the server runs
    elsewhere)."""
    from django.db import connection

    from proctoring.devtools.cpu import database_process
    from proctoring.devtools.management.commands.bench import backend_pid

    connection.ensure_connection()
    pid = database_process(backend_pid())
    return process_seconds(pid) if pid is not None else None


def play(handler: Any, lines: list[str], warm: int, profiler: Any = None) -> dict[str, Any]:
    """Each request once; the process time and statements of those after the first ``warm``,
    and the CPU the database's backend took for them (PostgreSQL on this machine)."""
    seconds, statements = [], []
    database_before: float | None = None
    for number, line in enumerate(lines):
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], answer=answer) -> None:
            answer["status"], answer["headers"] = status, dict(headers)

        environ = _environ(line)
        measured = number >= warm
        if number == warm:
            database_before = _backend_seconds()
        if measured and profiler is not None:
            profiler.enable()
        began = time.process_time()
        body = b"".join(handler(environ, start_response))
        spent = time.process_time() - began
        if measured and profiler is not None:
            profiler.disable()
        if not answer["status"].startswith("2"):
            raise SystemExit(f"{line.split(chr(9))[1]}: {answer['status']} {body[:300]!r}")
        if measured:
            seconds.append(spent)
            statements.append(int(answer["headers"].get("X-Query-Count", -1)))
    database_after = _backend_seconds()
    database_ms = None
    if database_before is not None and database_after is not None and seconds:
        database_ms = round(1000 * (database_after - database_before) / len(seconds), 3)
    return {
        "database_cpu_ms_mean": database_ms,
        "requests": len(seconds),
        "cpu_ms_mean": round(1000 * statistics.fmean(seconds), 3),
        "cpu_ms_median": round(1000 * statistics.median(seconds), 3),
        "statements": statistics.mode(statements),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    env = django_ready(args.database_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = env["DJANGO_SETTINGS_MODULE"] = (
        "proctoring.devtools.bench_settings"
    )
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from proctoring.devtools.management.commands.bench import _quiet_proctoring_log
    from proctoring.rest.auth_cache import auth_cache

    settings.ROOT_URLCONF = "proctoring.devtools.bench_urls"
    world_args = argparse.Namespace(write_attempts=args.requests, learners=args.requests)
    with _quiet_proctoring_log(True):
        phases = make_world(world_args, f"profile-{uuid.uuid4().hex[:10]}")
        handler = WSGIHandler()
        report = {}
        for name in PHASES:
            auth_cache.clear()
            profiler = cProfile.Profile() if name == args.profile else None
            report[name] = play(handler, phases[name][: args.requests], args.warm, profiler)
            if profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
                print(out.getvalue())
    width = max(len(name) for name in report)
    print(f"{'phase':<{width}}  requests  cpu ms mean  cpu ms median  statements  database ms")
    for name, row in report.items():
        print(
            f"{name:<{width}}  {row['requests']:>8}  {row['cpu_ms_mean']:>11}"
            f"  {row['cpu_ms_median']:>13}  {row['statements']:>10}"
            f"  {'-' if row['database_cpu_ms_mean'] is None else row['database_cpu_ms_mean']:>11}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
