"""Load scenario of an exam-start surge over HTTP: learners start, poll, and submit.

    .venv/bin/python scripts/bench_surge.py --database-url URL [--learners 300]

On a database already migrated, it makes (in-process, through the Python API) a course and an
exam, and mints each of N learners an HS256 JWT naming it a learner of the course
(``course_roles``); the learners' identities and roles are made by their first request, as on
the platform. It serves the service with gunicorn (as ``scripts/bench_http.py`` does) and plays:

* ``start``: each learner ``POST /api/v1/attempts {exam_id, start: true}`` at a random moment
  of the start window (``--start-window``, 60 s);
* ``poll``: then ``GET /api/v1/attempts/{id}`` every ``--poll-interval`` (30 s, each poll up to
  10 % early: jitter) while its exam time (``--exam-seconds``, 120) lasts;
* ``submit``: then ``POST /api/v1/attempts/{id}/submit`` when its exam time ends.

A scheduler hands each request, at its moment, to a bounded pool of ``--threads`` client
threads. It writes (and prints) ``var/bench/surge-<vendor>.json`` (``--output``): per operation
the requests, errors, latency percentiles, requests per second and SQL statements per request
(``X-Query-Count``), and the whole run's throughput; docs/benchmarks.md tells more. It exits 1
when a request failed (anything but a 2xx with the attempt in the expected status), the time
cap stopped the run, or an attempt is not submitted at the end. Run it on a throwaway database.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import os
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
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
    milliseconds_summary,
    mint_token,
    report_and_exit,
    server_document,
    timed_request,
)

OPERATIONS = ("start", "poll", "submit")
POLL_JITTER = 0.1  # a poll leaves up to this fraction of the interval early
TIME_LIMIT_MARGIN_MINS = 5  # the exam's time limit: the exam time, rounded up, and this


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="the migrated database to use (default: DATABASE_URL)",
    )
    parser.add_argument("--learners", type=int, default=300, help="learners (default: 300)")
    parser.add_argument(
        "--start-window",
        type=float,
        default=60.0,
        help="seconds over which the learners start, at random moments (default: 60)",
    )
    parser.add_argument(
        "--exam-seconds",
        type=float,
        default=120.0,
        help="seconds each learner polls before it submits (default: 120)",
    )
    parser.add_argument(
        "--poll-interval", type=float, default=30.0, help="seconds between polls (default: 30)"
    )
    parser.add_argument("--threads", type=int, default=16, help="client threads (default: 16)")
    add_server_arguments(parser)
    parser.add_argument(
        "--time-cap",
        type=float,
        help="seconds after which the run stops, whatever is left "
        "(default: the start window + the exam seconds + 120)",
    )
    parser.add_argument("--seed", type=int, default=8, help="of the random moments (default: 8)")
    parser.add_argument("--output", help="the JSON file (default: var/bench/surge-<vendor>.json)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url (or set DATABASE_URL)")
    for name in ("learners", "threads", "workers", "worker_threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.start_window < 0 or args.exam_seconds <= 0 or args.poll_interval <= 0:
        parser.error("--start-window must be >= 0, --exam-seconds and --poll-interval > 0")
    if args.time_cap is None:
        args.time_cap = args.start_window + args.exam_seconds + 120.0
    return args


def polls_per_learner(exam_seconds: float, interval: float) -> int:
    """The polls of one learner: one each interval after its start, before its exam time ends."""
    return max(0, math.ceil(exam_seconds / interval) - 1)


# --- The data --------------------------------------------------------------------------------


@dataclass
class Learner:
    token: str
    start_at: float  # seconds after the run's start
    attempt_id: int | None = None
    started: float = 0.0  # monotonic(), when its start was answered


def _make_learners(args: argparse.Namespace, *, prefix: str) -> tuple[int, list[Learner]]:
    """An exam of a new course, and a token for each learner naming it a learner there."""
    from proctoring import api

    course_id = f"course-v1:{prefix}+surge"
    minutes = math.ceil(args.exam_seconds / 60) + TIME_LIMIT_MARGIN_MINS
    exam_id = api.create_exam(
        course_id, f"block-v1:{prefix}+type@sequential+block@surge", "Bench surge exam", minutes
    )
    rng = random.Random(args.seed)
    issued = int(time.time())
    learners = []
    for number in range(args.learners):
        claims: dict[str, Any] = {
            "sub": f"{prefix}-{number:05d}",
            "preferred_username": f"{prefix}-learner-{number:05d}",
            "email": f"learner-{number:05d}@{prefix}.example.invalid",
            "course_roles": {course_id: "learner"},
        }
        start_at = rng.uniform(0.0, args.start_window)
        learners.append(Learner(token=mint_token(claims, issued), start_at=start_at))
    return exam_id, learners


# --- The scheduler ---------------------------------------------------------------------------


def _expect(status: str, attempt_id: int | None = None) -> Check:
    def check(data: dict[str, Any]) -> str | None:
        if not isinstance(data.get("id"), int):
            return "no attempt id"
        if attempt_id is not None and data["id"] != attempt_id:
            return f"not attempt {attempt_id}"
        if data.get("status") != status:
            return f"status {data.get('status')!r}, expected {status!r}"
        return None

    return check


class Surge:
    """Each request at its moment (a heap of them), made by a bounded pool of client threads."""

    def __init__(self, args: argparse.Namespace, exam_id: int, port: int) -> None:
        self.args = args
        self.exam_id = exam_id
        self.port = port
        self.rng = random.Random(args.seed + 1)
        self.phases = {name: Phase(name, expected=0) for name in OPERATIONS}
        self.lag: dict[str, list[float]] = {name: [] for name in OPERATIONS}
        self.heap: list[tuple[float, int, str, Learner]] = []
        self.order = itertools.count()
        self.condition = threading.Condition()
        self.active = 0  # learners not yet done: submitted, or stopped by an error
        self.local = threading.local()
        self.clients: list[Client] = []
        self.capped = False
        self.seconds = 0.0

    def _schedule(self, due: float, operation: str, learner: Learner) -> None:
        with self.condition:
            heapq.heappush(self.heap, (due, next(self.order), operation, learner))
            self.condition.notify()

    def _done(self) -> None:
        with self.condition:
            self.active -= 1
            self.condition.notify()

    def _client(self) -> Client:
        client: Client | None = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = Client(self.port)
            with self.condition:
                self.clients.append(client)
        return client

    def _next_after(self, learner: Learner, poll: int) -> None:
        """Poll ``poll`` of the learner (1, 2...) if it falls before its end, else the submit."""
        interval = self.args.poll_interval
        ends = learner.started + self.args.exam_seconds
        if poll * interval < self.args.exam_seconds:
            early = self.rng.uniform(0.0, POLL_JITTER * interval)
            self._schedule(learner.started + poll * interval - early, f"poll:{poll}", learner)
        else:
            self._schedule(ends, "submit", learner)

    def _step(self, due: float, operation: str, learner: Learner) -> None:
        name, _, number = operation.partition(":")
        phase = self.phases[name]
        with phase.lock:
            self.lag[name].append(max(0.0, time.monotonic() - due))
        client = self._client()
        if name == "start":
            body = {"exam_id": self.exam_id, "start": True}
            data = timed_request(
                client, phase, "POST", "/api/v1/attempts", learner.token, _expect("started"), body
            )
            if data is not None:
                learner.attempt_id, learner.started = data["id"], time.monotonic()
        else:
            path = f"/api/v1/attempts/{learner.attempt_id}"
            method, suffix, status = ("GET", "", "started")
            if name == "submit":
                method, suffix, status = ("POST", "/submit", "submitted")
            check = _expect(status, learner.attempt_id)
            data = timed_request(client, phase, method, path + suffix, learner.token, check)
        if data is None or name == "submit":
            return self._done()
        self._next_after(learner, int(number or 0) + 1)

    def run(self, learners: list[Learner]) -> None:
        """Play the surge until every learner is done, or the time cap."""
        began = time.monotonic()
        deadline = began + self.args.time_cap
        self.active = len(learners)
        for learner in learners:
            self._schedule(began + learner.start_at, "start", learner)
        with ThreadPoolExecutor(self.args.threads, thread_name_prefix="surge") as pool:
            with self.condition:
                while self.active > 0:
                    now = time.monotonic()
                    if now >= deadline:
                        self.capped = True
                        break
                    if self.heap and self.heap[0][0] <= now:
                        due, _, operation, learner = heapq.heappop(self.heap)
                        pool.submit(self._step, due, operation, learner)
                        continue
                    wake = min(self.heap[0][0] if self.heap else deadline, deadline)
                    self.condition.wait(timeout=wake - now)
            pool.shutdown(wait=True, cancel_futures=True)
        self.seconds = time.monotonic() - began
        for client in self.clients:
            client.close()
        for phase in self.phases.values():
            if phase.last_done:
                phase.seconds = phase.last_done - phase.first_sent


# --- The run ---------------------------------------------------------------------------------


def _report(surge: Surge, learners: list[Learner]) -> dict[str, Any]:
    args = surge.args
    polls = polls_per_learner(args.exam_seconds, args.poll_interval)
    expected = {"start": len(learners), "poll": polls * len(learners), "submit": len(learners)}
    operations = {}
    for name, phase in surge.phases.items():
        phase.expected = expected[name]
        operations[name] = {
            **phase.report(),
            "schedule_lag_ms": milliseconds_summary(surge.lag[name]),
        }
    ok = sum(len(phase.latencies) for phase in surge.phases.values())
    return {
        "operations": operations,
        "run": {
            "requests": sum(row["requests"] for row in operations.values()),
            "ok": ok,
            "errors": sum(row["errors"] for row in operations.values()),
            "seconds": round(surge.seconds, 3),
            "requests_per_second": round(ok / surge.seconds, 1) if surge.seconds > 0 else 0.0,
        },
    }


def _failures(surge: Surge, submitted: int, learners: int, server_alive: bool) -> list[str]:
    failures = [text for phase in surge.phases.values() for text in phase.failures()]
    for phase in surge.phases.values():
        done = len(phase.latencies) + phase.errors
        if not phase.errors and done != phase.expected:
            failures.append(f"{phase.name}: {done} requests, {phase.expected} expected")
    if surge.capped:
        failures.append(f"the time cap of {surge.args.time_cap}s stopped the run")
    if submitted != learners:
        failures.append(f"{submitted} of {learners} attempts submitted")
    if not server_alive:
        failures.append("gunicorn died during the run")
    return failures


def _document(args: argparse.Namespace, **parts: Any) -> dict[str, Any]:
    return {
        "benchmark": "surge",
        "database": {"vendor": parts["vendor"], "version": parts["version"]},
        "vendor": parts["vendor"],
        **machine_document(),
        "server": server_document(args),
        "workload": {
            "learners": args.learners,
            "start_window_seconds": args.start_window,
            "exam_seconds": args.exam_seconds,
            "poll_interval_seconds": args.poll_interval,
            "polls_per_learner": polls_per_learner(args.exam_seconds, args.poll_interval),
            "client_threads": args.threads,
            "time_cap_seconds": args.time_cap,
            "seed": args.seed,
            "course_prefix": f"course-v1:{parts['prefix']}+",
        },
        **parts["report"],
        "ok": not parts["failures"],
        "failures": parts["failures"],
        "notes": [
            "start (POST /api/v1/attempts, start: true) is the learner's first request: it also "
            "makes its identity and course role from the JWT.",
            "An operation's requests_per_second: its successful requests / the time from its "
            "first request to its last answer: the schedule sets the rate (docs/benchmarks.md).",
        ],
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    env = django_ready(args.database_url)
    from django.db import connection, connections

    from proctoring.attempts.models import Attempt
    from proctoring.devtools.management.commands.bench import (
        _database_version,
        _quiet_proctoring_log,
    )

    vendor, version = connection.vendor, _database_version()
    prefix = f"bench-surge-{uuid.uuid4().hex[:10]}"
    with _quiet_proctoring_log(True):
        exam_id, learners = _make_learners(args, prefix=prefix)
    connections.close_all()  # the server's workers write to the database from now on

    output = Path(args.output) if args.output else ROOT / "var" / "bench" / f"surge-{vendor}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    server = Server(args, env, output.with_name(f"{output.stem}.gunicorn.log"))
    try:
        server.wait_ready()
        surge = Surge(args, exam_id, server.port)
        surge.run(learners)
        server_alive = server.process.poll() is None
    finally:
        server.stop()
    submitted = Attempt.objects.filter(
        exam_id=exam_id, archived_at__isnull=True, status="submitted"
    ).count()
    connections.close_all()

    report = _report(surge, learners)
    failures = _failures(surge, submitted, len(learners), server_alive)
    document = _document(
        args, vendor=vendor, version=version, prefix=prefix, report=report, failures=failures
    )
    return report_and_exit("bench_surge", document, output=output, server=server, failures=failures)


if __name__ == "__main__":
    sys.exit(main())
