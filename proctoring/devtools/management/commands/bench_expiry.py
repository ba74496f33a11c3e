"""Benchmark the expiry job (``attempts_expire_overdue``) on N overdue attempts; print JSON.

The command makes N running attempts whose deadline has passed, quickly and outside the
measure: learners made with ``bulk_create``, one course, a few exams (each learner takes every
exam, so N / exams learners) and the attempts themselves with ``bulk_create``, in status
``started`` with ``started_at`` and ``deadline_at`` in the past. Then it runs the job once,
timed, counting every statement sent through Django's cursors with a
``connection.execute_wrapper`` counter (``CaptureQueriesContext`` keeps at most 9000 entries),
and checks that every attempt it made ended in a completed status.

The job times out every overdue attempt of the database, not only the command's: run it on a
throwaway database (``scripts/bench.sh`` does).
"""

from __future__ import annotations

import math
import os
import platform
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from proctoring import api
from proctoring.attempts.expiry import attempts_expire_overdue
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import COMPLETED_STATUSES, AttemptStatus
from proctoring.core.clock import now
from proctoring.devtools.management.commands.bench import (
    _database_version,
    _quiet_proctoring_log,
    bench_learners_create,
    write_report,
)

TIME_LIMIT_MINS = 60
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# The job's selection of a batch: the unpaused running attempts whose deadline has passed.
SELECTION = re.compile(r'FROM "attempts_attempt" .*WHERE .*"deadline_at" < .*\bLIMIT\b', re.S)


class StatementCounter:
    """A ``connection.execute_wrapper`` that counts statements, by kind, without keeping them."""

    def __init__(self) -> None:
        self.total = 0
        self.selections = 0
        self.skip_locked = 0
        self.by_kind: Counter[str] = Counter()

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.total += 1
        text = sql.lstrip()
        upper = text.upper()
        if upper.startswith(TRANSACTION_CONTROL):
            kind = next(word for word in TRANSACTION_CONTROL if upper.startswith(word))
        else:
            kind = upper.split(None, 1)[0] if upper else "?"
        self.by_kind[kind] += 1
        if kind == "SELECT" and SELECTION.search(text):
            self.selections += 1
            if re.search(r"\bFOR UPDATE\b.*\bSKIP LOCKED\b", upper, re.S):
                self.skip_locked += 1
        return execute(sql, params, many, context)


class Overdue:
    """The command's learners, course, exams and overdue attempts, under ``prefix``."""

    def __init__(self, *, prefix: str, attempts: int, exams: int) -> None:
        self.prefix = prefix
        self.attempts = attempts
        self.exams = exams
        self.learners = math.ceil(attempts / exams)
        self.exam_ids: list[int] = []

    def create(self, deadline_of: Callable[[int, datetime], datetime] | None = None) -> None:
        """Make them; attempt ``i``'s deadline is ``deadline_of(i, moment)`` (``moment``: when
        the learners are made), by default 30 minutes and ``i`` seconds past."""
        course_id = f"course-v1:{self.prefix}+expiry"
        self.exam_ids = [
            api.create_exam(
                course_id,
                f"block-v1:{self.prefix}+type@sequential+block@expiry{number:02d}",
                f"Bench expiry exam {number}",
                TIME_LIMIT_MINS,
            )
            for number in range(self.exams)
        ]
        user_ids = bench_learners_create(prefix=self.prefix, count=self.learners)
        # By default started an hour and a half ago with an hour allowed: 30 minutes overdue,
        # each a second apart so that the job's order (deadline, id) is well defined.
        moment = now()
        seconds = TIME_LIMIT_MINS * 60
        rows = []
        for index in range(self.attempts):
            # One current attempt per (exam, user): learner i // exams takes exam i % exams.
            exam_id = self.exam_ids[index % self.exams]
            user_id = user_ids[index // self.exams]
            if deadline_of is None:
                started_at = moment - timedelta(seconds=seconds + 1800 + index)
            else:
                started_at = deadline_of(index, moment) - timedelta(seconds=seconds)
            rows.append(
                Attempt(
                    exam_id=exam_id,
                    user_id=user_id,
                    status=AttemptStatus.STARTED,
                    started_at=started_at,
                    time_limit_mins=TIME_LIMIT_MINS,
                    allowed_time_seconds=seconds,
                    deadline_at=started_at + timedelta(seconds=seconds),
                )
            )
        Attempt.objects.bulk_create(rows, batch_size=1000)

    def mine(self) -> Any:
        return Attempt.objects.filter(exam_id__in=self.exam_ids, archived_at__isnull=True)


@contextmanager
def counting(counter: StatementCounter) -> Iterator[StatementCounter]:
    with connection.execute_wrapper(counter):
        yield counter


class Command(BaseCommand):
    help = (
        "Make N overdue running attempts, run the expiry job once and print, as JSON, how fast "
        "it expired them and how many SQL statements it took. Run it on a throwaway database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--attempts", type=int, default=10_000, help="overdue attempts (default: 10000)"
        )
        parser.add_argument(
            "--exams", type=int, default=4, help="exams they are spread over (default: 4)"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="attempts per batch of the job (default: PROCTORING_EXPIRY_BATCH_SIZE)",
        )
        parser.add_argument("--output", help="also write the JSON document to this file")
        parser.add_argument(
            "--prefix", help="course and username prefix (default: bench-expiry- and a suffix)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        attempts: int = options["attempts"]
        exams: int = options["exams"]
        batch_size: int = (
            settings.PROCTORING_EXPIRY_BATCH_SIZE
            if options["batch_size"] is None
            else options["batch_size"]
        )
        if attempts < 1 or exams < 1 or batch_size < 1:
            raise CommandError("--attempts, --exams and --batch-size must be at least 1")
        exams = min(exams, attempts)
        prefix: str = options["prefix"] or f"bench-expiry-{uuid.uuid4().hex[:12]}"
        overdue = Overdue(prefix=prefix, attempts=attempts, exams=exams)

        connection.ensure_connection()
        with _quiet_proctoring_log(options["verbosity"] < 2):
            started = time.perf_counter()
            overdue.create()
            setup_seconds = time.perf_counter() - started

            counter = StatementCounter()
            with counting(counter):
                started = time.perf_counter()
                expired = attempts_expire_overdue(batch_size=batch_size)
                seconds = time.perf_counter() - started

        statuses = Counter(overdue.mine().values_list("status", flat=True))
        not_completed = {
            status: count for status, count in statuses.items() if status not in COMPLETED_STATUSES
        }
        if sum(statuses.values()) != attempts or not_completed or expired < attempts:
            raise CommandError(
                f"The expiry job did not complete the {attempts} attempts: it expired {expired}; "
                f"their statuses are {dict(statuses)}."
            )
        document = _report(
            overdue=overdue,
            counter=counter,
            batch_size=batch_size,
            expired=expired,
            statuses=statuses,
            seconds=seconds,
            setup_seconds=setup_seconds,
        )
        write_report(document, output=options["output"], stdout=self.stdout)


NOTES = [
    "Statements are counted with connection.execute_wrapper: every statement sent "
    "through Django's cursors, savepoints included. BEGIN and COMMIT of the batch "
    "transactions are not statements on PostgreSQL (psycopg sends them itself); "
    "on SQLite BEGIN IMMEDIATE is one, COMMIT is not.",
    "selection_queries counts the SELECTs of a batch (deadline_at < cutoff, ordered "
    "by deadline_at); on PostgreSQL they are FOR UPDATE OF ... SKIP LOCKED "
    "(selection_queries_skip_locked).",
    "queries_per_attempt is queries_total / attempts; queries_per_batch is "
    "queries_total / batches (each batch: its selection, one UPDATE per resulting "
    "status, the history rows in one INSERT, then after its commit the credit statuses "
    "in one upsert).",
    "attempts_expired_per_second = attempts / seconds of the one run of the job.",
]


def _report(
    *,
    overdue: Overdue,
    counter: StatementCounter,
    batch_size: int,
    expired: int,
    statuses: Counter[str],
    seconds: float,
    setup_seconds: float,
) -> dict[str, Any]:
    """The JSON document of one run."""
    attempts = overdue.attempts
    # The job reads batches until one is not full: the last one may be empty.
    batches = attempts // batch_size + 1
    transaction_statements = sum(counter.by_kind[word] for word in TRANSACTION_CONTROL)
    data_queries = counter.total - transaction_statements
    # The job works a batch at a time: the statements of a batch do not depend on its size.
    # The last batch, not full, may be empty: then it is its selection alone.
    per_batch = counter.total / batches

    return {
        "benchmark": "attempts_expire_overdue",
        "database": {"vendor": connection.vendor, "version": _database_version()},
        "vendor": connection.vendor,
        "django": django.get_version(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "attempts": attempts,
        "exams": overdue.exams,
        "learners": overdue.learners,
        "batch_size": batch_size,
        "batches": batches,
        "setup_seconds": round(setup_seconds, 3),
        "seconds": round(seconds, 3),
        "attempts_expired": expired,
        "attempts_expired_per_second": round(attempts / seconds, 1) if seconds > 0 else 0.0,
        "final_statuses": dict(sorted(statuses.items())),
        "queries_total": counter.total,
        "queries_per_attempt": round(counter.total / attempts, 3),
        "queries_per_batch": round(per_batch, 3),
        "data_queries_total": data_queries,
        "selection_queries": counter.selections,
        "selection_queries_skip_locked": counter.skip_locked,
        "transaction_statements": transaction_statements,
        "queries_by_kind": dict(sorted(counter.by_kind.items())),
        "notes": NOTES,
    }
