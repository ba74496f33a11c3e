"""What the HTTP benches share: the environment, gunicorn, JWTs, client connections, reports.

``scripts/bench_http.py`` and ``scripts/bench_surge.py`` import it (both run as scripts, so
``scripts/`` is on ``sys.path``). Django is imported inside the functions that need it: the
benches set their environment first, then call ``django.setup()``.
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN_LIFETIME_SECONDS = 3600
REQUEST_TIMEOUT_SECONDS = 30.0
SERVER_START_SECONDS = 60.0
QUERY_COUNT_HEADER = "X-Query-Count"
ERROR_SAMPLES = 5


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """--workers, --worker-class, --worker-threads and --worker-connections: how gunicorn serves
    the bench."""
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
        "--worker-connections",
        type=int,
        default=0,
        help="the most connections a gthread worker holds at once (default: gunicorn's, 1000; "
        "bench_wrk.py sets its connections over the workers, so each worker gets its share)",
    )


def bench_environment(database_url: str) -> dict[str, str]:
    """The variables of the bench's Django and of the server's: the same for both."""
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


def raise_system_exit(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler: unwind, so that the ``finally`` blocks stop the server."""
    raise SystemExit(128 + signum)


def check_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        sys.exit(f"The database is not migrated ({len(plan)} migrations to apply): migrate first.")


def django_ready(database_url: str) -> dict[str, str]:
    """Set up the bench's own Django on the migrated database the server will use, with the
    server's environment; a SIGTERM unwinds so that the server is stopped. Returns that
    environment."""
    if importlib.util.find_spec("gunicorn") is None:
        sys.exit("gunicorn is not installed in this environment: run make install.")
    env = bench_environment(database_url)
    os.environ.update(env)
    signal.signal(signal.SIGTERM, raise_system_exit)

    import django

    django.setup()
    check_migrated()
    return env


def mint_token(claims: dict[str, Any], issued: int) -> str:
    """An HS256 JWT of the platform with these claims, as the server's settings accept it."""
    import jwt
    from django.conf import settings

    payload = {
        **claims,
        "iss": settings.PROCTORING_JWT_ISSUER,
        "aud": settings.PROCTORING_JWT_AUDIENCE,
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME_SECONDS,
    }
    return jwt.encode(payload, settings.PROCTORING_JWT_SECRET, algorithm="HS256")


def machine_document() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


def server_document(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "gunicorn_workers": args.workers,
        "worker_class": args.worker_class,
        "worker_threads": args.worker_threads if args.worker_class == "gthread" else 1,
        "worker_connections": args.worker_connections or 1000,
        "jobs": "off",
    }


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
            *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}"),
            *("--workers", str(args.workers), "--worker-class", args.worker_class),
            *("--log-level", "warning", "--timeout", "60", "--graceful-timeout", "10"),
            *("--chdir", str(ROOT)),
        ]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.worker_threads)]
            if args.worker_connections:
                command += ["--worker-connections", str(args.worker_connections)]
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


def milliseconds_summary(seconds: list[float]) -> dict[str, float]:
    """Mean, p50, p95, p99 and max, in milliseconds (nearest rank), of these durations."""
    ordered = sorted(seconds)
    done = len(ordered)

    def percentile(fraction: float) -> float:
        if not ordered:
            return 0.0
        return round(1000 * ordered[min(done - 1, math.ceil(fraction * done) - 1)], 3)

    return {
        "mean": round(1000 * sum(ordered) / done, 3) if done else 0.0,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "max": round(1000 * ordered[-1], 3) if ordered else 0.0,
    }


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
    first_sent: float = math.inf  # perf_counter() of the first request sent...
    last_done: float = 0.0  # ...and of the last answer read
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self,
        *,
        elapsed: float,
        status: int,
        queries: int | None,
        error: str | None,
        sent: float | None = None,
    ) -> None:
        with self.lock:
            if sent is not None:
                self.first_sent = min(self.first_sent, sent)
                self.last_done = max(self.last_done, sent + elapsed)
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
        return {
            "requests": done + self.errors,
            "expected": self.expected,
            "ok": done,
            "errors": self.errors,
            "status_codes": {str(code): n for code, n in sorted(self.statuses.items())},
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(done / self.seconds, 1) if self.seconds > 0 else 0.0,
            "latency_ms": milliseconds_summary(self.latencies),
            "queries_per_request": {
                "mean": round(sum(self.queries) / len(self.queries), 3) if self.queries else None,
                "min": min(self.queries, default=None),
                "max": max(self.queries, default=None),
            },
            "responses_without_query_count": self.missing_query_count,
            "error_samples": self.error_samples,
        }

    def failures(self) -> list[str]:
        found = []
        if self.errors:
            found.append(f"{self.name}: {self.errors} requests failed")
        if self.missing_query_count:
            found.append(f"{self.name}: {self.missing_query_count} without {QUERY_COUNT_HEADER}")
        return found


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
        self, method: str, path: str, token: str, body: dict[str, Any] | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            reused = self.connection is not None
            connection = self._connect()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed meanwhile: open a new one, once.
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            if response.will_close:
                self.close()
            return response.status, answer, response
        raise AssertionError("unreachable")


Check = Callable[[dict[str, Any]], str | None]


def timed_request(
    client: Client,
    phase: Phase,
    method: str,
    path: str,
    token: str,
    check: Check,
    body: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Make one request and record it in ``phase``; the JSON answer, or None when it failed.

    A request fails on a connection error, a non-2xx answer, a body that is not JSON, or one
    ``check`` finds wrong (it returns what is wrong, or None).
    """
    started = time.perf_counter()
    try:
        status, answer, response = client.request(method, path, token, body)
    except (OSError, http.client.HTTPException) as exc:
        client.close()
        phase.record(
            elapsed=time.perf_counter() - started,
            status=0,
            queries=None,
            error=f"{method} {path}: {exc!r}",
            sent=started,
        )
        return None
    elapsed = time.perf_counter() - started
    error, data = None, None
    if not 200 <= status < 300:
        error = f"{method} {path}: {status} {answer[:300]!r}"
    else:
        try:
            data = json.loads(answer)
            problem = check(data) if isinstance(data, dict) else "the body is not an object"
        except ValueError:
            problem = "the body is not JSON"
        if problem:
            error = f"{method} {path}: {status} {problem}: {answer[:300]!r}"
    header = response.getheader(QUERY_COUNT_HEADER)
    queries = int(header) if header is not None and header.isdigit() else None
    phase.record(elapsed=elapsed, status=status, queries=queries, error=error, sent=started)
    return data if error is None else None


def report_and_exit(
    name: str, document: dict[str, Any], *, output: Path, server: Server, failures: list[str]
) -> int:
    """Write and print the JSON report; on failures say why and show gunicorn's log (exit 1),
    else remove that log (exit 0)."""
    text = json.dumps(document, indent=2)
    output.write_text(text + "\n", encoding="utf-8")
    print(text)
    if failures:
        print(f"{name} failed: {'; '.join(failures)}", file=sys.stderr)
        print(f"gunicorn's log ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)
        return 1
    server.remove_log()
    return 0
