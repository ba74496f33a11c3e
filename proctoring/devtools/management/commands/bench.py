"""Benchmark ``proctoring.api`` on the configured database; print the figures as JSON.

A fixed workload (its size set by ``--learners`` and ``--exams``) runs through the Python API,
one call at a time in autocommit mode, as the service runs it. Each call is timed with
``time.perf_counter`` and its SQL statements are counted with ``CaptureQueriesContext``.

The command creates its own users and courses, under a prefix unique to the run, and touches
nothing else; it leaves its data behind, so run it on a throwaway database
(``scripts/bench.sh`` does).

Credit updates and status emails leave from the outbox after the commit. The status changes
measured in ``start``, ``submit``, ``verify``, ``reject`` and ``decline_cascade_10`` are the
transitions alone (their events are delivered outside the measure); ``submit_with_email``
measures a submission of an attempt taken as proctored followed by the outbox's delivery pass
that tells the credit service and sends its email (to Django's in-memory backend).
``staff_list_page`` is a page of course staff's list of the main course's attempts
(``get_course_attempt_page``, 50 rows a page, the pages in turn).

Each operation is reported beside its floor (``bench_floor``) and, on PostgreSQL, its replay
(``bench_replay``: the workload's own statements sent again with psycopg alone, to a copy of
the database taken before the workload).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import django
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext, override_settings

from proctoring import api
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.devtools.bench_floor import FLOOR_GOAL, floors_measure, statement_kind
from proctoring.devtools.bench_replay import (
    Recording,
    database_copy,
    replay_measure,
    statements_record,
)
from proctoring.devtools.cpu import ServerCpu
from proctoring.outbox.delivery import outbox_deliver

P = ParamSpec("P")
T = TypeVar("T")

# The operations reported, in this order.
OPERATIONS = (
    "create_exam",
    "create_exam_attempt",
    "start",
    "submit",
    "verify",
    "reject",
    "decline_cascade_10",
    "get_exam_attempt",
    "staff_list_page",
    "submit_with_email",
)
STAFF_PAGE_SIZE = 50  # the REST API's default page
# Floors the statements' kinds cannot tell: the staff list's two SELECTs are a count and a
# page of rows, not one-row reads (bench_floor.py: COUNT and PAGE).
FLOOR_SHAPES = {"staff_list_page": ("COUNT", "PAGE")}
CASCADE_EXAMS = 11  # a decline on one of them cascades over the other 10
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
LOCMEM_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class OperationStats:
    """The timings and query counts of every call of one operation."""

    name: str
    keep_sql: bool = False
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    data_queries: list[int] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    shapes: Counter[tuple[str, ...]] = field(default_factory=Counter)
    emails_sent: int = 0
    cpu_seconds: float = 0.0  # this process's, in the calls
    server_cpu: ServerCpu = field(default_factory=lambda: ServerCpu(backend_pid))
    recording: Recording | None = None  # the replay's (PostgreSQL), told of each call

    def measure(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``call`` once, recording its wall time, this process's CPU in it and the SQL
        statements it made (the database server's CPU is read around loops of calls:
        ``server_cpu``)."""
        # The query log keeps its last 9000 entries only; CaptureQueriesContext counts by its
        # length, so empty it first or the counts drop to 0 once it is full.
        reset_queries()
        recording = self.recording
        if recording is not None:
            recording.call_begin(self.name, len(self.seconds))
        with CaptureQueriesContext(connection) as captured:
            cpu_started = time.process_time()
            started = time.perf_counter()
            result = call(*args, **kwargs)
            elapsed = time.perf_counter() - started
            self.cpu_seconds += time.process_time() - cpu_started
        if recording is not None:
            recording.call_end()
        self.seconds.append(elapsed)
        self.queries.append(len(captured.captured_queries))
        self.data_queries.append(
            sum(1 for query in captured.captured_queries if not _is_transaction_control(query))
        )
        if self.keep_sql and not self.sql:  # the statements of the first call
            self.sql = [query["sql"] for query in captured.captured_queries]
        self.shapes[tuple(statement_kind(query["sql"]) for query in captured.captured_queries)] += 1
        return result

    def shape(self) -> tuple[str, ...]:
        """The kinds of the statements of the usual call, in order (``bench_floor``)."""
        return self.shapes.most_common(1)[0][0] if self.shapes else ()

    def report(self) -> dict[str, Any]:
        count = len(self.seconds)
        total = sum(self.seconds)
        ordered = sorted(self.seconds)
        row: dict[str, Any] = {
            "count": count,
            "seconds": round(total, 6),
            "ops_per_second": round(count / total, 1) if total > 0 else 0.0,
            "mean_ms": round(1000 * total / count, 3) if count else 0.0,
            "p95_ms": round(1000 * ordered[min(count - 1, int(0.95 * count))], 3) if count else 0.0,
            "queries_per_op": {
                "mean": round(sum(self.queries) / count, 2) if count else 0.0,
                "min": min(self.queries, default=0),
                "max": max(self.queries, default=0),
            },
            "data_queries_per_op": {
                "mean": round(sum(self.data_queries) / count, 2) if count else 0.0,
                "min": min(self.data_queries, default=0),
                "max": max(self.data_queries, default=0),
            },
        }
        row["cpu_ms"] = {
            "process": round(1000 * self.cpu_seconds / count, 3) if count else 0.0,
            "database": self.server_cpu.per_call_ms(count),
        }
        if self.name == "submit_with_email":
            row["emails_sent"] = self.emails_sent
        if self.keep_sql:
            row["sql_of_first_call"] = self.sql
        return row


def backend_pid() -> int | None:
    """The id of the PostgreSQL server process serving Django's connection (as psycopg has
    it: no query), else None."""
    raw = connection.connection
    if connection.vendor != "postgresql" or raw is None:
        return None
    return int(raw.info.backend_pid)


def _is_transaction_control(query: dict[str, Any]) -> bool:
    """BEGIN, COMMIT, ROLLBACK and savepoint statements, which Django logs too."""
    sql = str(query.get("sql", "")).lstrip().upper()
    return sql.startswith(TRANSACTION_CONTROL)


@contextmanager
def _quiet_proctoring_log(quiet: bool) -> Iterator[None]:
    """Raise the ``proctoring`` logger to WARNING: an INFO line per call is noise here."""
    logger = logging.getLogger("proctoring")
    level = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _statements_logged_as_written() -> Iterator[None]:
    """Django's query log keeps each statement as written, not rendered with its parameters.

    The log is how the bench counts statements; rendering them is the debug cursor's work
    (on PostgreSQL with server-side binding, psycopg's ``mogrify`` of every statement: as
    long as a short read itself), a cost of the measure that the service, which logs no
    queries, never pays. The statements' text and count are the same, ``%s`` in place of
    the values.
    """
    ops = connection.ops

    def as_written(cursor: Any, sql: str, params: Any) -> str:
        return sql

    setattr(ops, "last_executed_query", as_written)  # noqa: B010 (on this instance only)
    try:
        yield
    finally:
        delattr(ops, "last_executed_query")


def write_report(document: dict[str, Any], *, output: str | None, stdout: Any) -> None:
    """Print the JSON document, and write it to ``output`` too when one is given."""
    text = json.dumps(document, indent=2)
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    stdout.write(text)


def _database_version() -> str:
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        return str(row[0]) if row else "unknown"
    return "unknown"


def bench_learners_create(*, prefix: str, count: int) -> list[int]:
    """``count`` learners named ``<prefix>-learner-NNNNNN`` in bulk; their ids in name order."""
    user_model = get_user_model()
    rows = []
    for number in range(count):
        user = user_model(
            username=f"{prefix}-learner-{number:06d}",
            email=f"learner-{number:06d}@{prefix}.example.invalid",
        )
        user.set_unusable_password()
        rows.append(user)
    user_model.objects.bulk_create(rows, batch_size=1000)
    ids = (
        user_model.objects.filter(username__startswith=f"{prefix}-learner-")
        .order_by("username")
        .values_list("pk", flat=True)
    )
    return [int(pk) for pk in ids]


def _submit_and_deliver(exam_id: int, user_id: int) -> None:
    api.update_attempt_status(exam_id, user_id, "submitted")
    outbox_deliver()


def _outbox_size() -> int:
    outbox: list[Any] = getattr(mail, "outbox", [])
    return len(outbox)


class Workload:
    """The fixed sequence of calls, run on courses under ``prefix``."""

    def __init__(self, *, prefix: str, learners: int, exams: int, keep_sql: bool) -> None:
        self.prefix = prefix
        self.learners = learners
        self.exams = exams
        self.stats = {name: OperationStats(name, keep_sql=keep_sql) for name in OPERATIONS}

    def course_id(self, name: str) -> str:
        return f"course-v1:{self.prefix}+{name}"

    def run(self) -> None:
        users = self._create_users()
        main_exams = self._create_exams("main", self.exams)
        cascade_exams = self._create_exams("cascade", CASCADE_EXAMS)
        email_exams = self._create_exams("email", 1)

        # The main course: every learner takes every exam, created -> started -> submitted,
        # then verified or rejected in turn; then every attempt is read. Each loop calls one
        # operation only: the database server's CPU is read around it.
        pairs = [(exam_id, user_id) for exam_id in main_exams for user_id in users]
        stats = self.stats
        update = api.update_attempt_status
        self._each(stats["create_exam_attempt"], api.create_exam_attempt, pairs)
        self._each(stats["start"], update, [(*pair, "started") for pair in pairs])
        self._each(stats["submit"], update, [(*pair, "submitted") for pair in pairs])
        self._each(stats["verify"], update, [(*pair, "verified") for pair in pairs[0::2]])
        self._each(stats["reject"], update, [(*pair, "rejected") for pair in pairs[1::2]])
        self._each(stats["get_exam_attempt"], api.get_exam_attempt, pairs)
        # Course staff page through the main course's attempts (its count and one page).
        pages = max(1, -(-len(pairs) // STAFF_PAGE_SIZE))
        staff_list = stats["staff_list_page"]
        with staff_list.server_cpu:
            for number in range(len(users)):
                staff_list.measure(
                    api.get_course_attempt_page,
                    self.course_id("main"),
                    page=number % pages + 1,
                    page_size=STAFF_PAGE_SIZE,
                )

        # The cascade course: each learner declines its first exam, which declines the other
        # ten (their attempts created on the way). The attempts declined are set up first,
        # unmeasured.
        declined_exam = cascade_exams[0]
        for user_id in users:
            api.create_exam_attempt(declined_exam, user_id)
        declines = [(declined_exam, user_id, "declined") for user_id in users]
        self._each(stats["decline_cascade_10"], update, declines)

        # The email course: proctored attempts, whose submission sends an email, measured with
        # the delivery pass that sends it. The attempts are started first (their events
        # delivered), unmeasured.
        email_exam = email_exams[0]
        for user_id in users:
            api.create_exam_attempt(email_exam, user_id, taking_as_proctored=True)
            update(email_exam, user_id, "started")
        outbox_deliver()
        submit_with_email = stats["submit_with_email"]
        sent = _outbox_size()
        self._each(submit_with_email, _submit_and_deliver, [(email_exam, u) for u in users])
        submit_with_email.emails_sent += _outbox_size() - sent

        self._check(main_exams=main_exams, cascade_exams=cascade_exams, email_exam=email_exam)

    @staticmethod
    def _each(
        stats: OperationStats, call: Callable[..., Any], calls: list[tuple[Any, ...]]
    ) -> None:
        """``call`` with each of ``calls``' arguments, measured, in one span of the database
        server's CPU."""
        with stats.server_cpu:
            for arguments in calls:
                stats.measure(call, *arguments)

    def _create_users(self) -> list[int]:
        return bench_learners_create(prefix=self.prefix, count=self.learners)

    def _create_exams(self, course: str, count: int) -> list[int]:
        course_id = self.course_id(course)
        stats = self.stats["create_exam"]
        with stats.server_cpu:
            return [
                stats.measure(
                    api.create_exam,
                    course_id,
                    f"block-v1:{self.prefix}+type@sequential+block@{course}{number:02d}",
                    f"Bench {course} exam {number}",
                    60,
                )
                for number in range(count)
            ]

    def _check(self, *, main_exams: list[int], cascade_exams: list[int], email_exam: int) -> None:
        """Fail if the calls did not leave the statuses the workload means to measure."""
        mine = Attempt.objects.filter(archived_at__isnull=True)
        expected = {
            "main course verified or rejected": (
                mine.filter(
                    exam_id__in=main_exams,
                    status__in=[AttemptStatus.VERIFIED, AttemptStatus.REJECTED],
                ).count(),
                self.learners * len(main_exams),
            ),
            "cascade course declined": (
                mine.filter(exam_id__in=cascade_exams, status=AttemptStatus.DECLINED).count(),
                self.learners * len(cascade_exams),
            ),
            "email course submitted": (
                mine.filter(exam_id=email_exam, status=AttemptStatus.SUBMITTED).count(),
                self.learners,
            ),
            "emails sent": (self.stats["submit_with_email"].emails_sent, self.learners),
        }
        wrong = {name: pair for name, pair in expected.items() if pair[0] != pair[1]}
        if wrong:
            raise CommandError(
                f"The workload did not do what it measures (found, expected): {wrong}"
            )


@contextmanager
def _replay_copy() -> Iterator[str | None]:
    """On PostgreSQL, a copy of the bench database for the replay (``bench_replay``), dropped
    afterwards; None elsewhere."""
    if connection.vendor != "postgresql":
        yield None
        return
    with database_copy(connection) as name:
        yield name


@contextmanager
def _recorded(workload: Workload, record: bool) -> Iterator[Recording | None]:
    """When ``record``, every statement of the block recorded, and the workload's calls told
    to it (``bench_replay``); else None."""
    if not record:
        yield None
        return
    with statements_record(connection) as recording:
        for stats in workload.stats.values():
            stats.recording = recording
        try:
            yield recording
        finally:
            for stats in workload.stats.values():
                stats.recording = None


def _with_floors(
    stats: dict[str, OperationStats], replays: dict[str, dict[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Each operation's report, with its floor side by side and the ratio to it, and its
    replay's (PostgreSQL; else None)."""
    floors = floors_measure(
        {
            name: (FLOOR_SHAPES.get(name, stats[name].shape()), len(stats[name].seconds))
            for name in OPERATIONS
        }
    )
    reports = {}
    for name in OPERATIONS:
        row = stats[name].report()
        floor = floors[name]
        ratio = row["mean_ms"] / floor["mean_ms"] if floor["mean_ms"] else 0.0
        row["floor"] = floor
        row["ratio_to_floor"] = round(ratio, 2)
        row["floor_goal_met"] = ratio <= FLOOR_GOAL
        replay = replays.get(name) if replays is not None else None
        row["replay"] = replay
        row["ratio_to_replay"] = _ratio(row["mean_ms"], replay)
        row["replay_over_floor"] = _ratio(replay["mean_ms"], floor) if replay else None
        reports[name] = row
    return reports


def _ratio(mean_ms: float, other: dict[str, Any] | None) -> float | None:
    if other is None:
        return None
    return round(mean_ms / other["mean_ms"], 2) if other["mean_ms"] else 0.0


def _measure(workload: Workload, *, quiet: bool) -> tuple[float, dict[str, dict[str, Any]]]:
    """Run the workload; its wall seconds and each operation's report, beside its floor and,
    on PostgreSQL, its replay."""
    with _replay_copy() as copy:  # PostgreSQL: the database as the workload finds it
        connection.ensure_connection()
        with (
            override_settings(EMAIL_BACKEND=LOCMEM_EMAIL_BACKEND),
            _quiet_proctoring_log(quiet),
            _statements_logged_as_written(),
            _recorded(workload, copy is not None) as recording,
        ):
            started = time.perf_counter()
            workload.run()
            wall = time.perf_counter() - started
        replays = None
        if copy is not None and recording is not None:
            replays = replay_measure(connection, copy, recording)
        return wall, _with_floors(workload.stats, replays)


# The document's notes: what its figures are.
NOTES = (
    "queries_per_op counts every statement Django logs for the call, the BEGIN and "
    "COMMIT of each transaction included (on both databases); data_queries_per_op "
    "leaves out BEGIN, COMMIT, ROLLBACK and savepoints.",
    "start, submit, verify, reject and decline_cascade_10 run on attempts not taken "
    "as proctored: the transition alone. submit_with_email is a submission and the "
    "outbox's delivery pass that tells the credit service and sends the email.",
    "ops_per_second is count / time spent in the calls, one call at a time.",
    "Statements are counted from Django's query log, which keeps them as written "
    "(their parameters not rendered into them: a cost of the measure only).",
    "floor: the operation's usual statements by kind (shape), run as many times "
    "with the database's own driver on a scratch table, no Django "
    f"(devtools/bench_floor.py); ratio_to_floor = mean_ms / the floor's, goal "
    f"{FLOOR_GOAL:g} at most.",
    "cpu_ms (the operation's and its floor's): the mean CPU per call of this "
    "process (Python, the driver; SQLite's work too) and of the PostgreSQL server "
    "process serving the connection when it runs on this machine (else null), "
    "read from /proc in clock ticks: a sum over the calls, not one call's.",
    "replay (PostgreSQL only; null on SQLite): the very statements the "
    "operation's calls sent, with their parameters and in their transactions, "
    "sent again with psycopg alone, no Django, to a copy of the bench database "
    "taken before the workload, so that each finds the rows and sequence values "
    "its original found (devtools/bench_replay.py). ratio_to_replay = mean_ms / "
    "the replay's: what Django and the service's Python add to the statements; "
    "replay_over_floor = the replay's mean_ms / the floor's: what the real "
    f"statements cost beyond the scratch floor's (above {FLOOR_GOAL:g}, no Python "
    "running them meets the floor's goal).",
)


class Command(BaseCommand):
    help = (
        "Run a fixed workload through proctoring.api on the configured database and print, "
        "as JSON, the operations per second and SQL queries per operation. Creates its own "
        "users and courses; run it on a throwaway database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--learners", type=int, default=200, help="number of learners (default: 200)"
        )
        parser.add_argument(
            "--exams",
            type=int,
            default=2,
            help="exams of the main course, each taken by every learner (default: 2)",
        )
        parser.add_argument("--output", help="also write the JSON document to this file")
        parser.add_argument(
            "--prefix",
            help="course and username prefix of this run (default: bench- and a random suffix)",
        )
        parser.add_argument(
            "--sql",
            action="store_true",
            help="include the SQL statements of the first call of each operation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        learners: int = options["learners"]
        exams: int = options["exams"]
        if learners < 1 or exams < 1:
            raise CommandError("--learners and --exams must be at least 1")
        prefix: str = options["prefix"] or f"bench-{uuid.uuid4().hex[:12]}"
        workload = Workload(prefix=prefix, learners=learners, exams=exams, keep_sql=options["sql"])

        wall, operations = _measure(workload, quiet=options["verbosity"] < 2)

        document = {
            "benchmark": "proctoring.api",
            "database": {"vendor": connection.vendor, "version": _database_version()},
            "django": django.get_version(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "workload": {
                "learners": learners,
                "exams": exams,
                "cascade_exams": CASCADE_EXAMS,
                "course_prefix": f"course-v1:{prefix}+",
                "wall_seconds": round(wall, 3),
            },
            "operations": operations,
            "notes": list(NOTES),
        }
        write_report(document, output=options["output"], stdout=self.stdout)
