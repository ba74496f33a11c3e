"""HTTP benchmark against a bare Django floor, in one run, driven by wrk.

    .venv/bin/python scripts/bench_wrk.py --database-url URL [--duration 5] [--connections 16]

On a migrated database it makes (in-process, in bulk) a course with four exams, learners with
their platform identities, course roles and attempts (created, started, submitted), a course
staff member, and an HS256 JWT for each. It serves the service with gunicorn (the same settings
as ``bench_http.py``: 2 ``gthread`` workers of 4 threads, ``PROCTORING_JOBS=off``,
``X-Query-Count`` on) with ``proctoring.devtools.bench_settings``, which adds the floors' URLs
(``proctoring/devtools/floor_views.py``), and runs wrk (``scripts/bench_wrk.lua``) for
``--duration`` seconds per phase, one phase after the other:

* ``floor_read``: a bare Django view doing one primary-key ``SELECT``;
* ``poll``: ``GET /api/v1/attempts/{id}``, each learner with its JWT;
* ``staff_page``: a course staff member's ``GET /api/v1/courses/{course}/attempts``, 25 rows;
* ``floor_write``: a bare view doing a locked read, an ``UPDATE``, an ``INSERT``, the commit;
* ``start``, ``submit``: the learners' ``POST /api/v1/attempts/{id}/start`` and ``.../submit``,
  each attempt once;
* ``verify``, ``reject``: the staff member's ``POST /api/v1/attempts/{id}/review``, each
  attempt once;
* ``poll_at_rate``: last, the poll at ``--poll-rate`` requests a second (wrk's ``delay()``,
  each wait shortened by the answers' mean time, measured in two 2 s runs at the rate),
  its p99 against the surge's goal (50 ms at 1,000 a second).

The reads run in ``--rounds`` rounds, each right after its floor; each write runs between two
runs of the write floor: a phase's ratio is the median of its runs' rates over the floor run
beside them.

It reports per phase requests per second, p50/p90/p99 latency, the SQL statements per
request (``X-Query-Count``), and the ratio of requests per second to the floor of its kind;
it writes ``var/bench/wrk-<vendor>.json`` (or ``--output``). A write phase ends early when its
attempts run out (its rate is over the time it ran; the answers then in flight are not read, so
up to a connection's worth of writes are done but not counted). It exits 1 when a request
failed (a non-2xx, a socket error) or a statement budget is exceeded: every poll 1; a learner's
start or submit 2, the token new to the process or not (the lock, with what the access gates
read and the user of the token's identity; then the ``UPDATE``, the history and event
``INSERT``s in one statement on PostgreSQL); a staff review 2 too (its lock reads the review
record's id from its sequence, and the record's ``INSERT`` goes in the change's statement;
its one token is known after its first requests). The budgets of writes hold for the usual
(most frequent) count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench_support import (
    ROOT,
    Server,
    add_server_arguments,
    django_ready,
    machine_document,
    mint_token,
    report_and_exit,
    server_document,
)
from cpu_use import Taken, cpu_spent, cpu_taken

LUA = ROOT / "scripts" / "bench_wrk.lua"
TIME_LIMIT_MINS = 60
PAGE_SIZE = 25
# Statement budgets (X-Query-Count: every statement but PostgreSQL's BEGIN and COMMIT): the
# most any poll makes, and the usual count of a write: a learner's start or submit 2 (its lock
# confirms the caller's identity: rest/v1/attempt_act_lean.py), a review 2 (its record in the
# change's statement) with the staff member's identity and role kept. On PostgreSQL.
BUDGETS = {"poll": 1, "poll_at_rate": 1, "start": 2, "submit": 2, "verify": 2, "reject": 2}
REVIEWS = frozenset({"verify", "reject"})
# Each phase and the floor its requests per second are compared with.
FLOORS = {
    "floor_read": "floor_read",
    "poll": "floor_read",
    "staff_page": "floor_read",
    "floor_write": "floor_write",
    "start": "floor_write",
    "submit": "floor_write",
    "verify": "floor_write",
    "reject": "floor_write",
}
WRITES = frozenset({"start", "submit", "verify", "reject"})  # each attempt changed once
P99_GOAL_MS = 50.0  # the poll's p99 at the set rate (issue 9, goal 5)
PACING_RUNS = 2  # short runs at the rate before the measured one, each paced by the one before
GOALS = {"poll": 0.8, "start": 0.6, "submit": 0.6, "verify": 0.6, "reject": 0.6}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="the migrated database to use (default: DATABASE_URL)",
    )
    parser.add_argument("--learners", type=int, default=200, help="polling learners (200)")
    parser.add_argument(
        "--write-attempts",
        type=int,
        default=3000,
        help="attempts for each write phase, each written once (default: 3000)",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the read phases, each beside its floor (3)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument(
        "--poll-rate",
        type=int,
        default=1000,
        help="requests per second of the poll at a set rate, the last run (1000)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    add_server_arguments(parser)
    parser.add_argument("--output", help="the JSON file (default: var/bench/wrk-<vendor>.json)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url (or set DATABASE_URL)")
    if not args.worker_connections and args.worker_class == "gthread":
        # A gthread worker accepts every connection it can: left to gunicorn's 1,000, one of
        # the two workers often takes all of wrk's keep-alive connections and the run measures
        # one core (seen here: the same view at 650 or 1,700 requests a second, run to run).
        args.worker_connections = -(-args.connections // args.workers)
    names = ("learners", "write_attempts", "duration", "rounds", "connections", "wrk_threads")
    for name in (*names, "poll_rate"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.connections < args.wrk_threads:
        parser.error("--connections must be at least --wrk-threads")
    return args


# --- The data: made in-process, in bulk ------------------------------------------------------


def _claims(prefix: str, number: int, course_id: str, role: str) -> dict[str, Any]:
    return {
        "sub": f"{prefix}-{role}-{number:06d}",
        "preferred_username": f"{prefix}-{role}-{number:06d}",
        "email": f"{role}-{number:06d}@{prefix}.example.invalid",
        "course_roles": {course_id: role},
    }


def _people(prefix: str, course_id: str, role: str, count: int) -> list[tuple[int, str]]:
    """``count`` users with their identity and course role, as their first request makes
    them (so that a request finds its claims unchanged); their ids and JWTs."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from proctoring.accounts.claims import platform_claims_parse
    from proctoring.accounts.models import PlatformIdentity
    from proctoring.courses.models import CourseRole

    user_model = get_user_model()
    issuer = settings.PROCTORING_JWT_ISSUER
    everyone = [_claims(prefix, number, course_id, role) for number in range(count)]
    users = [
        user_model(username=claims["preferred_username"], email=claims["email"])
        for claims in everyone
    ]
    for user in users:
        user.set_unusable_password()
    user_model.objects.bulk_create(users, batch_size=1000)
    ids = dict(
        user_model.objects.filter(username__startswith=f"{prefix}-{role}-").values_list(
            "username", "pk"
        )
    )
    identities, roles, people = [], [], []
    issued = int(time.time())
    for claims in everyone:
        user_id = ids[claims["preferred_username"]]
        parsed = platform_claims_parse(payload=claims, issuer=issuer)
        identities.append(
            PlatformIdentity(
                issuer=issuer,
                subject=claims["sub"],
                user_id=user_id,
                claims_digest=parsed.digest(),
                course_roles={course_id: role},
            )
        )
        roles.append(CourseRole(user_id=user_id, course_id=course_id, role=role))
        people.append((user_id, mint_token(claims, issued)))
    PlatformIdentity.objects.bulk_create(identities, batch_size=1000)
    CourseRole.objects.bulk_create(roles, batch_size=1000)
    return people


def _attempts(exam_id: int, user_ids: list[int], status: str) -> list[int]:
    """An attempt of each user on the exam, in ``status`` (created, started or submitted)."""
    from proctoring.attempts.models import Attempt
    from proctoring.core.clock import now

    moment = now()
    seconds = TIME_LIMIT_MINS * 60
    rows = []
    for user_id in user_ids:
        row = Attempt(exam_id=exam_id, user_id=user_id, status=status)
        if status != "created":
            row.started_at = moment
            row.time_limit_mins = TIME_LIMIT_MINS
            row.allowed_time_seconds = seconds
            row.deadline_at = moment + timedelta(seconds=seconds)
        if status == "submitted":
            row.completed_at = moment
        rows.append(row)
    Attempt.objects.bulk_create(rows, batch_size=1000)
    found = dict(Attempt.objects.filter(exam_id=exam_id).values_list("user_id", "pk"))
    return [found[user_id] for user_id in user_ids]


def make_world(args: argparse.Namespace, prefix: str) -> dict[str, list[str]]:
    """The data, and each phase's requests: ``METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY`` lines."""
    from proctoring import api

    course_id = f"course-v1:{prefix}+wrk"
    exams = {
        kind: api.create_exam(
            course_id,
            f"block-v1:{prefix}+type@sequential+block@{kind}",
            f"Bench wrk {kind}",
            TIME_LIMIT_MINS,
        )
        for kind in ("start", "submit", "verify", "reject")
    }
    count = max(args.write_attempts, args.learners)
    learners = _people(prefix, course_id, "learner", count)
    ((staff_id, staff_token),) = _people(prefix, course_id, "staff", 1)
    user_ids = [user_id for user_id, _ in learners]
    tokens = [token for _, token in learners]
    writes = slice(0, args.write_attempts)
    created = _attempts(exams["start"], user_ids[writes], "created")
    started = _attempts(exams["submit"], user_ids[:count], "started")
    to_verify = _attempts(exams["verify"], user_ids[writes], "submitted")
    to_reject = _attempts(exams["reject"], user_ids[writes], "submitted")
    polled = list(zip(started[: args.learners], tokens[: args.learners], strict=True))
    verdict = {"verify": '{"status": "verified"}', "reject": '{"status": "rejected"}'}
    page = f"/api/v1/courses/{course_id}/attempts?page_size={PAGE_SIZE}&exam_id={exams['submit']}"
    return {
        "floor_read": [f"GET\t/bench/floor/read/{pk}\t-\t-" for pk, _ in polled],
        "poll": [f"GET\t/api/v1/attempts/{pk}\t{token}\t-" for pk, token in polled],
        "staff_page": [f"GET\t{page}\t{staff_token}\t-"],
        "floor_write": [f"POST\t/bench/floor/write/{pk}\t-\t-" for pk in created],
        "start": [
            f"POST\t/api/v1/attempts/{pk}/start\t{token}\t-"
            for pk, token in zip(created, tokens, strict=False)
        ],
        "submit": [
            f"POST\t/api/v1/attempts/{pk}/submit\t{token}\t-"
            for pk, token in zip(started[writes], tokens, strict=False)
        ],
        "verify": [
            f"POST\t/api/v1/attempts/{pk}/review\t{staff_token}\t{verdict['verify']}"
            for pk in to_verify
        ],
        "reject": [
            f"POST\t/api/v1/attempts/{pk}/review\t{staff_token}\t{verdict['reject']}"
            for pk in to_reject
        ],
        "_staff": [str(staff_id)],
    }


# --- wrk -------------------------------------------------------------------------------------


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (scripts/bench.sh installs it).")
    return found


def run_wrk(
    args: argparse.Namespace,
    server: Server,
    items: Path,
    *,
    once: bool,
    seconds: int = 0,
    rate: int = 0,
    latency_ms: float = 0.0,
) -> dict[str, Any]:
    """One wrk run over the requests of ``items`` (each sent once, or in a cycle); its
    WRK_JSON line, parsed, with the CPU the server, the database and wrk took meanwhile
    (``cpu_taken``: its ``"cpu"``). With a ``rate``, each connection paces its requests to about
    that rate in all, ``latency_ms`` being the answers' expected time."""
    threads = args.wrk_threads
    script = LUA
    if rate:  # wrk calls delay() only when the script defines it as it loads
        script = items.with_suffix(".lua")
        script.write_text(LUA.read_text("utf-8") + "\nfunction delay() return wait end\n", "utf-8")
    command = [
        *(wrk_path(), "-t", str(threads), "-c", str(args.connections)),
        *("-d", f"{seconds or args.duration}s", "--timeout", "10s", "-s", str(script)),
        *(f"http://127.0.0.1:{server.port}", "--", str(items), str(threads)),
        *("once" if once else "cycle", str(rate), str(args.connections), f"{latency_ms:.3f}"),
    ]
    before = cpu_taken(server.process.pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60)
    after = cpu_taken(server.process.pid)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
            result["cpu"] = (before, after)
            return result
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def phase_report(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    statuses = raw["statuses"]
    ok = sum(n for code, n in statuses.items() if code.startswith("2"))
    counts = Counter({int(k): n for k, n in raw["queries"].items() if k.isdigit()})
    answered = sum(counts.values())
    statements = sum(k * n for k, n in counts.items())
    latency = raw["latency_us"]
    errors = raw["errors"]
    cpu_readings: tuple[Taken | None, Taken | None] = raw.get("cpu", (None, None))
    return {
        "requests": raw["requests"],
        "ok": ok,
        "seconds": round(seconds, 3),
        "requests_per_second": round(ok / seconds, 1) if seconds else 0.0,
        "latency_ms": {name: round(latency[name] / 1000, 2) for name in latency},
        "status_codes": dict(sorted(statuses.items())),
        "socket_errors": {name: n for name, n in errors.items() if name != "status" and n},
        "queries_per_request": {
            "mean": round(statements / answered, 3) if answered else None,
            "min": min(counts, default=None),
            "max": max(counts, default=None),
            "usual": counts.most_common(1)[0][0] if counts else None,
            "histogram": {str(k): n for k, n in sorted(counts.items())},
        },
        "responses_without_query_count": raw["queries"].get("none", 0),
        "exhausted_threads": raw["exhausted"],
        # ms of CPU per 2xx answer: gunicorn's processes, PostgreSQL's, wrk; the idle share
        "cpu_ms_per_answer": cpu_spent(*cpu_readings, ok),
    }


def budgets_of(vendor: str) -> dict[str, int]:
    """The budgets on this database: SQLite's ``BEGIN IMMEDIATE`` is one more statement, a
    change's ``UPDATE``, history and events are three statements there (one on PostgreSQL),
    and a review's record is an ``INSERT`` of its own (no sequence to read its id from)."""
    if vendor != "sqlite":
        return dict(BUDGETS)
    return {
        name: most + (3 if name in WRITES else 0) + (1 if name in REVIEWS else 0)
        for name, most in BUDGETS.items()
    }


def failures_of(name: str, report: dict[str, Any], budgets: dict[str, int]) -> list[str]:
    found = []
    bad = {code: n for code, n in report["status_codes"].items() if not code.startswith("2")}
    if bad:
        found.append(f"{name}: answers {bad}")
    if report["socket_errors"]:
        found.append(f"{name}: socket errors {report['socket_errors']}")
    if report["responses_without_query_count"]:
        found.append(f"{name}: answers without X-Query-Count")
    counts = report["queries_per_request"]
    checked = counts["max"] if name.startswith("poll") else counts["usual"]
    if name in budgets and checked is not None and checked > budgets[name]:
        found.append(f"{name}: {checked} statements > the budget of {budgets[name]}")
    if not report["ok"]:
        found.append(f"{name}: no request answered")
    return found


def schedule(rounds: int) -> list[str]:
    """The order of the wrk runs: each read phase right after its floor, ``rounds`` times;
    each write phase between two runs of the write floor. A phase's ratio is taken against
    the floor run beside it, so the machine's load, which drifts, weighs on both alike."""
    reads = ["floor_read", "poll", "staff_page"] * rounds
    writes = ["floor_write"]
    for name in ("start", "submit", "verify", "reject"):
        writes += [name, "floor_write"]
    return reads + writes


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2 if ordered else 0.0


def _median_or_none(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return round(_median(known), 3) if known else None


def run_ratios(order: list[str], runs: list[dict[str, Any]]) -> list[float]:
    """Each run's requests per second over its floor's beside it: for a read, the floor run
    of its round (the last before it); for a write, the mean of the floor runs around it."""
    ratios = []
    for index, (name, run) in enumerate(zip(order, runs, strict=True)):
        floor = FLOORS[name]
        before = [r for n, r in zip(order[:index], runs[:index], strict=True) if n == floor]
        after = [
            r for n, r in zip(order[index + 1 :], runs[index + 1 :], strict=True) if n == floor
        ]
        beside = before[-1:] + (after[:1] if name in WRITES else [])
        if name == floor:
            beside = [run]
        rate = sum(r["requests_per_second"] for r in beside) / len(beside) if beside else 0.0
        ratios.append(run["requests_per_second"] / rate if rate else 0.0)
    return ratios


def merged(name: str, runs: list[dict[str, Any]], ratios: list[float]) -> dict[str, Any]:
    """The runs of one phase as one report: totals, and the median of each run's figures."""
    ok = sum(r["ok"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    statuses: Counter[str] = Counter()
    histogram: Counter[int] = Counter()
    for run in runs:
        statuses.update(run["status_codes"])
        histogram.update({int(k): n for k, n in run["queries_per_request"]["histogram"].items()})
    answered = sum(histogram.values())
    report = {
        "runs": len(runs),
        "requests": sum(r["requests"] for r in runs),
        "ok": ok,
        "seconds": round(seconds, 3),
        "requests_per_second": round(_median([r["requests_per_second"] for r in runs]), 1),
        "latency_ms": {
            key: round(_median([r["latency_ms"][key] for r in runs]), 2)
            for key in runs[0]["latency_ms"]
        },
        "status_codes": dict(sorted(statuses.items())),
        "socket_errors": dict(sum((Counter(r["socket_errors"]) for r in runs), Counter())),
        "queries_per_request": {
            "mean": round(sum(k * n for k, n in histogram.items()) / answered, 3)
            if answered
            else None,
            "min": min(histogram, default=None),
            "max": max(histogram, default=None),
            "usual": histogram.most_common(1)[0][0] if histogram else None,
            "histogram": {str(k): n for k, n in sorted(histogram.items())},
        },
        "responses_without_query_count": sum(r["responses_without_query_count"] for r in runs),
        "exhausted_threads": sum(r["exhausted_threads"] for r in runs),
        "cpu_ms_per_answer": {
            key: _median_or_none([r["cpu_ms_per_answer"][key] for r in runs])
            for key in runs[0]["cpu_ms_per_answer"]
        },
        "floor": FLOORS[name],
        "ratio_to_floor": round(_median(ratios), 3),
        "each_run": [
            {
                "requests_per_second": r["requests_per_second"],
                "p50_ms": r["latency_ms"]["p50"],
                "p99_ms": r["latency_ms"]["p99"],
                "ratio_to_floor": round(ratio, 3),
                "cpu_ms_per_answer": r["cpu_ms_per_answer"],
            }
            for r, ratio in zip(runs, ratios, strict=True)
        ],
    }
    if name in GOALS:
        report["goal_ratio"] = GOALS[name]
        report["goal_met"] = report["ratio_to_floor"] >= GOALS[name]
    return report


def rate_report(run: dict[str, Any], rate: int) -> dict[str, Any]:
    """The poll at a set rate: what the surge goal asks (p99 under ``P99_GOAL_MS``)."""
    return {
        **run,
        "target_requests_per_second": rate,
        "floor": None,
        "ratio_to_floor": None,
        "goal_p99_ms": P99_GOAL_MS,
        "goal_met": run["latency_ms"]["p99"] < P99_GOAL_MS
        and run["requests_per_second"] >= 0.95 * rate,
    }


def table(reports: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| phase | req/s | p50 ms | p99 ms | statements | x floor "
        "| CPU ms/answer: server · database · wrk | idle |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in reports.items():
        queries = r["queries_per_request"]
        ratio = "-" if r["ratio_to_floor"] is None else f"{r['ratio_to_floor']:.2f}"
        spread = (
            f"{queries['min']}"
            if queries["min"] == queries["max"]
            else f"{queries['usual']} ({queries['min']}-{queries['max']}, mean {queries['mean']})"
        )
        cpu = r["cpu_ms_per_answer"]
        shares = (
            "-"
            if cpu["server"] is None
            else f"{cpu['server']:.2f} · {cpu['database']:.2f} · {cpu['load']:.2f}"
        )
        idle = "-" if cpu["idle_share"] is None else f"{cpu['idle_share']:.0%}"
        lines.append(
            f"| {name} | {r['requests_per_second']:,.0f} | {r['latency_ms']['p50']} | "
            f"{r['latency_ms']['p99']} | {spread} | {ratio} | {shares} | {idle} |"
        )
    return "\n".join(lines)


# --- The run ---------------------------------------------------------------------------------


def statistics_refresh(connection: Any) -> None:
    """The planner's statistics of the world just written, as a running service has them
    (autovacuum's ANALYZE follows bulk writes, but not within the seconds before the first
    run): without them PostgreSQL plans for empty tables, and a staff page joins and sorts
    every attempt of the course (16 ms) where its index gives the 25 rows (0.1 ms)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    wrk_path()
    env = django_ready(args.database_url)
    env["DJANGO_SETTINGS_MODULE"] = "proctoring.devtools.bench_settings"
    from django.db import connection, connections

    from proctoring.devtools.management.commands.bench import (
        _database_version,
        _quiet_proctoring_log,
    )

    vendor = connection.vendor
    database_version = _database_version()
    prefix = f"bench-wrk-{uuid.uuid4().hex[:10]}"
    started = time.perf_counter()
    with _quiet_proctoring_log(True):
        phases = make_world(args, prefix)
    phases.pop("_staff")
    statistics_refresh(connection)
    setup_seconds = time.perf_counter() - started
    connections.close_all()

    output = Path(args.output) if args.output else ROOT / "var" / "bench" / f"wrk-{vendor}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    server = Server(args, env, output.with_name(f"{output.stem}.gunicorn.log"))
    reports: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    try:
        server.wait_ready()
        with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
            # Unmeasured: the workers' connections, prepared statements and caches warm up.
            warm = Path(folder) / "warm.tsv"
            reads = phases["floor_read"] + phases["poll"] + phases["staff_page"] * 8
            warm.write_text("\n".join(reads) + "\n", "utf-8")
            run_wrk(args, server, warm, once=False, seconds=1)
            order = schedule(args.rounds)
            runs = []
            for name in order:
                items = Path(folder) / f"{name}.tsv"
                items.write_text("\n".join(phases[name]) + "\n", encoding="utf-8")
                runs.append(phase_report(run_wrk(args, server, items, once=name in WRITES)))
            # The poll at a set rate (the surge's goal: p99 under 50 ms at 1,000 a second).
            items = Path(folder) / "poll_at_rate.tsv"
            items.write_text("\n".join(phases["poll"]) + "\n", encoding="utf-8")
            # wrk paces by waiting between an answer and the next request: short runs at the
            # rate measure the answers' mean time, which the next run's waits leave out, so that
            # a connection's request and wait last, on average, connections / rate of a second.
            # Answers slow down as the rate rises: the second short run, paced by the first,
            # runs near the rate and measures the time the measured run's waits leave out.
            latency_ms = 0.0
            for _ in range(PACING_RUNS):
                pace = phase_report(
                    run_wrk(
                        args,
                        server,
                        items,
                        once=False,
                        seconds=2,
                        rate=args.poll_rate,
                        latency_ms=latency_ms,
                    )
                )
                latency_ms = pace["latency_ms"]["mean"]
            at_rate = phase_report(
                run_wrk(
                    args,
                    server,
                    items,
                    once=False,
                    rate=args.poll_rate,
                    latency_ms=latency_ms,
                )
            )
            at_rate["pacing_latency_ms"] = latency_ms
            ratios = run_ratios(order, runs)
            for name in phases:
                mine = [i for i, n in enumerate(order) if n == name]
                reports[name] = merged(name, [runs[i] for i in mine], [ratios[i] for i in mine])
                failures += failures_of(name, reports[name], budgets_of(vendor))
            reports["poll_at_rate"] = rate_report(at_rate, args.poll_rate)
            failures += failures_of("poll_at_rate", reports["poll_at_rate"], budgets_of(vendor))
        if server.process.poll() is not None:
            failures.append("gunicorn died during the run")
    finally:
        server.stop()
    document = {
        "benchmark": "wrk",
        "database": {"vendor": vendor, "version": database_version},
        "vendor": vendor,
        **machine_document(),
        "server": server_document(args),
        "load": {
            "generator": "wrk",
            "threads": args.wrk_threads,
            "connections": args.connections,
            "seconds_per_run": args.duration,
            "read_rounds": args.rounds,
            "order": schedule(args.rounds),
        },
        "workload": {
            "polling_learners": args.learners,
            "write_attempts": args.write_attempts,
            "page_size": PAGE_SIZE,
            "setup_seconds": round(setup_seconds, 3),
            "course_prefix": f"course-v1:{prefix}+",
        },
        "budgets": budgets_of(vendor),
        "goals": GOALS,
        "phases": reports,
        "table": table(reports),
        "ok": not failures,
        "failures": failures,
        "notes": [
            "Each wrk run lasts seconds_per_run (a write run less when its attempts run out); "
            "a run's requests_per_second = its 2xx answers / its duration. A phase's figures "
            "are the median of its runs; ratio_to_floor is the median of each run's rate over "
            "the floor run beside it (floor_read of its round, or the mean of the floor_write "
            "runs before and after it).",
            "statements: the server's X-Query-Count, authentication included; PostgreSQL's "
            "BEGIN and COMMIT are not counted (psycopg sends them itself).",
        ],
    }
    print(document["table"], file=sys.stderr)
    return report_and_exit("bench_wrk", document, output=output, server=server, failures=failures)


if __name__ == "__main__":
    sys.exit(main())
