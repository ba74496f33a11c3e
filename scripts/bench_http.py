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
import http.client
import importlib.util
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT_MINS = 60
TOKEN_LIFETIME_SECONDS = 3600
REQUEST_TIMEOUT_SECONDS = 30.0
SERVER_START_SECONDS = 60.0
QUERY_COUNT_HEADER = "X-Query-Count"
ERROR_SAMPLES = 5


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
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    parser.add_argument(
        "--worker-class",
        choices=("gthread", "sync"),
        default="gthread",
        help="gunicorn worker class (default: gthread)",
    )
    parser.add_argument(
        "--worker-threads", type=int, default=4, help="threads of a gthread worker (default: 4)"
    )
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


def _bench_environment(database_url: str) -> dict[str, str]:
    """The variables of this process's Django and of the server's: the same for both."""
    return {
        "DJANGO_SETTINGS_MODULE": "proctoring.settings",
        "DATABASE_URL": database_url,
        "PROCTORING_JWT_SECRET": os.environ.get("PROCTORING_JWT_SECRET")
        or secrets.token_urlsafe(48),
        "PROCTORING_JWT_ISSUER": os.environ.get("PROCTORING_JWT_ISSUER")
        or "https://lms.bench.invalid",
        "PROCTORING_JWT_AUDIENCE": os.environ.get("PROCTORING_JWT_AUDIENCE") or "proctoring",
        "PROCTORING_JWT_JWKS_URL": "",
        "PROCTORING_JOBS": "off",
        "PROCTORING_QUERY_COUNT_HEADER": "true",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


# --- The data: made in-process through the Python API --------------------------------------


@dataclass(frozen=True)
class Learner:
    attempt_id: int
    token: str


def _check_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        sys.exit(f"The database is not migrated ({len(plan)} migrations to apply): migrate first.")


def _make_learners(count: int, *, prefix: str) -> tuple[int, list[Learner]]:
    """A course, an exam, and ``count`` learners with a started attempt and a JWT each."""
    import jwt
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
        token = jwt.encode(
            {
                **claims,
                "iss": issuer,
                "aud": settings.PROCTORING_JWT_AUDIENCE,
                "iat": issued,
                "exp": issued + TOKEN_LIFETIME_SECONDS,
            },
            settings.PROCTORING_JWT_SECRET,
            algorithm="HS256",
        )
        learners.append(Learner(attempt_id=attempt_id, token=token))
    return exam_id, learners


# --- The server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """gunicorn serving ``proctoring.wsgi:application`` on 127.0.0.1, its log in a file."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], log_path: Path) -> None:
        self.port = _free_port()
        self.log_path = log_path
        self.log = log_path.open("wb")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--chdir",
            str(ROOT),
        ]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.worker_threads)]
        self.command = [*command, "proctoring.wsgi:application"]
        self.process = subprocess.Popen(
            self.command,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health/")
                status = connection.getresponse().status
                connection.close()
            except OSError:
                status = 0
            if status == 200:
                return
            if status:
                raise RuntimeError(f"gunicorn answered /health/ with {status}:\n{self.log_tail()}")
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn did not answer in {SERVER_START_SECONDS}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)


# --- The clients -----------------------------------------------------------------------------


@dataclass
class Phase:
    """The requests of one kind, as the client threads saw them."""

    name: str
    expected: int
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    missing_query_count: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, *, elapsed: float, status: int, queries: int | None, error: str | None
    ) -> None:
        with self.lock:
            self.statuses[status] += 1
            if error is not None:
                self.errors += 1
                if len(self.error_samples) < ERROR_SAMPLES:
                    self.error_samples.append(error)
                return
            self.latencies.append(elapsed)
            if queries is None:
                self.missing_query_count += 1
            else:
                self.queries.append(queries)

    def report(self) -> dict[str, Any]:
        done = len(self.latencies)
        ordered = sorted(self.latencies)

        def percentile(fraction: float) -> float:
            if not ordered:
                return 0.0
            return round(1000 * ordered[min(done - 1, math.ceil(fraction * done) - 1)], 3)

        return {
            "requests": done + self.errors,
            "expected": self.expected,
            "ok": done,
            "errors": self.errors,
            "status_codes": {str(code): n for code, n in sorted(self.statuses.items())},
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(done / self.seconds, 1) if self.seconds > 0 else 0.0,
            "latency_ms": {
                "mean": round(1000 * sum(ordered) / done, 3) if done else 0.0,
                "p50": percentile(0.50),
                "p95": percentile(0.95),
                "p99": percentile(0.99),
                "max": round(1000 * ordered[-1], 3) if ordered else 0.0,
            },
            "queries_per_request": {
                "mean": round(sum(self.queries) / len(self.queries), 3) if self.queries else None,
                "min": min(self.queries, default=None),
                "max": max(self.queries, default=None),
            },
            "responses_without_query_count": self.missing_query_count,
            "error_samples": self.error_samples,
        }


class Client:
    """One thread's keep-alive connection to the server, opened again when it is closed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS
            )
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self, method: str, path: str, token: str
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        for attempt in (1, 2):
            reused = self.connection is not None
            connection = self._connect()
            try:
                connection.request(method, path, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed meanwhile: open a new one, once.
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            if response.will_close:
                self.close()
            return response.status, body, response
        raise AssertionError("unreachable")


def _call(
    client: Client,
    phase: Phase,
    method: str,
    learner: Learner,
    suffix: str,
    check: Callable[[dict[str, Any]], str | None],
) -> None:
    path = f"/api/v1/attempts/{learner.attempt_id}{suffix}"
    started = time.perf_counter()
    try:
        status, body, response = client.request(method, path, learner.token)
    except (OSError, http.client.HTTPException) as exc:
        client.close()
        phase.record(
            elapsed=time.perf_counter() - started,
            status=0,
            queries=None,
            error=f"{method} {path}: {exc!r}",
        )
        return
    elapsed = time.perf_counter() - started
    error = None
    if not 200 <= status < 300:
        error = f"{method} {path}: {status} {body[:300]!r}"
    else:
        try:
            problem = check(json.loads(body))
        except ValueError:
            problem = "the body is not JSON"
        if problem:
            error = f"{method} {path}: {status} {problem}: {body[:300]!r}"
    header = response.getheader(QUERY_COUNT_HEADER)
    queries = int(header) if header is not None and header.isdigit() else None
    phase.record(elapsed=elapsed, status=status, queries=queries, error=error)


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


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if importlib.util.find_spec("gunicorn") is None:
        sys.exit("gunicorn is not installed in this environment: run make install.")
    env = _bench_environment(args.database_url)
    os.environ.update(env)
    signal.signal(signal.SIGTERM, _raise_system_exit)  # so that the server is stopped

    import django

    django.setup()
    from django.db import connection, connections

    from proctoring.attempts.models import Attempt
    from proctoring.devtools.management.commands.bench import (
        _database_version,
        _quiet_proctoring_log,
    )

    _check_migrated()
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
    ok = False
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
        if phase.errors:
            failures.append(f"{phase.name}: {phase.errors} requests failed")
        if phase.missing_query_count:
            failures.append(
                f"{phase.name}: {phase.missing_query_count} without {QUERY_COUNT_HEADER}"
            )
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
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "server": {
            "gunicorn_workers": args.workers,
            "worker_class": args.worker_class,
            "worker_threads": args.worker_threads if args.worker_class == "gthread" else 1,
            "jobs": "off",
        },
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
    text = json.dumps(document, indent=2)
    output.write_text(text + "\n", encoding="utf-8")
    print(text)
    if not ok:
        print(f"bench_http failed: {'; '.join(failures)}", file=sys.stderr)
        print(f"gunicorn's log ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)
        return 1
    server.remove_log()
    return 0


if __name__ == "__main__":
    sys.exit(main())
