"""HTTP benchmark of the REST API v1 under gunicorn: the in-exam poll and a status change.

    .venv/bin/python scripts/bench_http.py --database-url URL [--learners 200] [--threads 16]

On a database already migrated, it makes (in-process, through the Python API) a course, an
exam with a 60-minute limit and N learners, each with a started attempt and a platform
identity, and mints each learner an HS256 JWT. It then serves the service with gunicorn on
127.0.0.1 (a free port, 2 workers, ``PROCTORING_JOBS=off``, ``PROCTORING_QUERY_COUNT_HEADER``
on) and drives it with concurrent client threads:

* ``poll``: each thread makes a fixed number of ``GET /api/v1/attempts/{id}`` with the
  learner's JWT (the page's in-exam poll), over the learners in turn;
* ``status_change``: then every attempt is submitted once, ``POST /api/v1/attempts/{id}/submit``.

It prints (and writes to ``--output``, by default ``var/bench/http-<vendor>.json``) requests
per second, latency percentiles, errors, and the SQL statements per request that the server
reports in ``X-Query-Count``. It exits non-zero when any request failed (any non-2xx, or a
body that is not the expected attempt), when the time cap stopped the run, or when a budget
is exceeded: a poll makes at most ``--max-poll-queries`` (3) statements, authentication
included. It leaves its data behind: run it on a throwaway database (``scripts/bench.sh``
does).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_support import (
    ROOT,
    Check,
    Client,
    Phase,
    Server,
    add_server_arguments,
    django_ready,
    machine_document,
    mint_token,
    report_and_exit,
    server_document,
    timed_request,
)

TIME_LIMIT_MINS = 60


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="the migrated database to use (default: DATABASE_URL)",
    )
    parser.add_argument("--learners", type=int, default=200, help="learners (default: 200)")
    parser.add_argument("--threads", type=int, default=16, help="client threads (default: 16)")
    parser.add_argument(
        "--requests", type=int, default=200, help="polls per client thread (default: 200)"
    )
    add_server_arguments(parser)
    parser.add_argument(
        "--time-cap",
        type=float,
        default=300.0,
        help="seconds after which the client threads stop, whatever is left (default: 300)",
    )
    parser.add_argument(
        "--max-poll-queries",
        type=int,
        default=3,
        help="the budget of SQL statements of one poll, authentication included (default: 3)",
    )
    parser.add_argument("--output", help="the JSON file (default: var/bench/http-<vendor>.json)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url (or set DATABASE_URL)")
    for name in ("learners", "threads", "requests", "workers", "worker_threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


# --- The data: made in-process through the Python API --------------------------------------


@dataclass(frozen=True)
class Learner:
    attempt_id: int
    token: str


def _make_learners(count: int, *, prefix: str) -> tuple[int, list[Learner]]:
    """A course, an exam, and ``count`` learners with a started attempt and a JWT each."""
    from django.conf import settings

    from proctoring import api
    from proctoring.accounts.claims import platform_claims_parse
    from proctoring.accounts.identities import platform_user_sync

    exam_id = api.create_exam(
        f"course-v1:{prefix}+http",
        f"block-v1:{prefix}+type@sequential+block@http",
        "Bench HTTP exam",
        TIME_LIMIT_MINS,
    )
    issuer = settings.PROCTORING_JWT_ISSUER
    issued = int(time.time())
    learners = []
    for number in range(count):
        claims: dict[str, Any] = {
            "sub": f"{prefix}-{number:05d}",
            "preferred_username": f"{prefix}-learner-{number:05d}",
            "email": f"learner-{number:05d}@{prefix}.example.invalid",
        }
        # The identity is made as the first request would make it, so that every request
        # finds its user unchanged: one query, as for a learner's every request but the first.
        user = platform_user_sync(claims=platform_claims_parse(payload=claims, issuer=issuer))
        attempt_id = api.create_exam_attempt(exam_id, user.pk)
        api.update_attempt_status(exam_id, user.pk, "started")
        token = mint_token(claims, issued)
        learners.append(Learner(attempt_id=attempt_id, token=token))
    return exam_id, learners


# --- The clients -----------------------------------------------------------------------------


def _call(
    client: Client, phase: Phase, method: str, learner: Learner, suffix: str, check: Check
) -> None:
    path = f"/api/v1/attempts/{learner.attempt_id}{suffix}"
    timed_request(client, phase, method, path, learner.token, check)


def _expect(learner: Learner, status: str) -> Callable[[dict[str, Any]], str | None]:
    def check(data: dict[str, Any]) -> str | None:
        if data.get("id") != learner.attempt_id:
            return f"not attempt {learner.attempt_id}"
        if data.get("status") != status:
            return f"status {data.get('status')!r}, expected {status!r}"
        return None

    return check


def _run_phase(
    phase: Phase,
    threads: int,
    work: Callable[[int, Client, Callable[[], bool]], None],
    *,
    port: int,
    deadline: float,
) -> bool:
    """Run ``work(thread_index, client, in_time)`` on each thread; False if the cap stopped one."""
    capped = threading.Event()

    def in_time() -> bool:
        if time.monotonic() < deadline:
            return True
        capped.set()
        return False

    def body(index: int) -> None:
        client = Client(port)
        try:
            work(index, client, in_time)
        finally:
            client.close()

    workers = [threading.Thread(target=body, args=(index,)) for index in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    phase.seconds = time.perf_counter() - started
    return not capped.is_set()


def drive(
    args: argparse.Namespace, learners: list[Learner], port: int
) -> tuple[Phase, Phase, bool]:
    threads = args.threads
    deadline = time.monotonic() + args.time_cap
    poll = Phase("poll", expected=threads * args.requests)
    status_change = Phase("status_change", expected=len(learners))

    def polls(index: int, client: Client, in_time: Callable[[], bool]) -> None:
        for number in range(args.requests):
            if not in_time():
                return
            learner = learners[(index + number * threads) % len(learners)]
            _call(client, poll, "GET", learner, "", _expect(learner, "started"))

    def submits(index: int, client: Client, in_time: Callable[[], bool]) -> None:
        for learner in learners[index::threads]:
            if not in_time():
                return
            _call(client, status_change, "POST", learner, "/submit", _expect(learner, "submitted"))

    in_time = _run_phase(poll, threads, polls, port=port, deadline=deadline)
    in_time = _run_phase(status_change, threads, submits, port=port, deadline=deadline) and in_time
    return poll, status_change, in_time


# --- The run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    env = django_ready(args.database_url)
    from django.db import connection, connections

    from proctoring.attempts.models import Attempt
    from proctoring.devtools.management.commands.bench import (
        _database_version,
        _quiet_proctoring_log,
    )

    vendor = connection.vendor
    database_version = _database_version()
    prefix = f"bench-http-{uuid.uuid4().hex[:10]}"
    started = time.perf_counter()
    with _quiet_proctoring_log(True):  # an INFO line per attempt made is noise here
        exam_id, learners = _make_learners(args.learners, prefix=prefix)
    setup_seconds = time.perf_counter() - started
    connections.close_all()  # the server's workers write to the database from now on

    output = Path(args.output) if args.output else ROOT / "var" / "bench" / f"http-{vendor}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    # gunicorn's log, beside the output; kept when the bench fails.
    server = Server(args, env, output.with_name(f"{output.stem}.gunicorn.log"))
    try:
        server.wait_ready()
        poll, status_change, in_time = drive(args, learners, server.port)
        server_alive = server.process.poll() is None
    finally:
        server.stop()
    submitted = Attempt.objects.filter(
        exam_id=exam_id, archived_at__isnull=True, status="submitted"
    ).count()
    connections.close_all()

    poll_max = max(poll.queries, default=None)
    failures = []
    for phase in (poll, status_change):
        failures += phase.failures()
    if not in_time:
        failures.append(f"the time cap of {args.time_cap}s stopped the run")
    if poll_max is not None and poll_max > args.max_poll_queries:
        failures.append(f"poll: {poll_max} queries > the budget of {args.max_poll_queries}")
    if submitted != len(learners):
        failures.append(f"{submitted} of {len(learners)} attempts submitted")
    if not server_alive:
        failures.append("gunicorn died during the run")
    ok = not failures

    document = {
        "benchmark": "http",
        "database": {"vendor": vendor, "version": database_version},
        "vendor": vendor,
        **machine_document(),
        "server": server_document(args),
        "workload": {
            "learners": len(learners),
            "client_threads": args.threads,
            "polls_per_thread": args.requests,
            "time_cap_seconds": args.time_cap,
            "setup_seconds": round(setup_seconds, 3),
            "course_prefix": f"course-v1:{prefix}+",
        },
        "budgets": {"poll_queries_max": args.max_poll_queries},
        "operations": {"poll": poll.report(), "status_change": status_change.report()},
        "ok": ok,
        "failures": failures,
        "notes": [
            "poll is GET /api/v1/attempts/{id} with the learner's HS256 JWT; status_change is "
            "POST /api/v1/attempts/{id}/submit, once per attempt, after the polls.",
            "queries_per_request is the server's X-Query-Count: every statement sent through "
            "Django's cursors during the request, authentication included (PostgreSQL's BEGIN "
            "and COMMIT are not statements; SQLite's BEGIN IMMEDIATE is).",
            "requests_per_second = successful requests / wall time of the phase, with "
            "client_threads concurrent clients on the same machine as the server.",
        ],
    }
    return report_and_exit("bench_http", document, output=output, server=server, failures=failures)


if __name__ == "__main__":
    sys.exit(main())
