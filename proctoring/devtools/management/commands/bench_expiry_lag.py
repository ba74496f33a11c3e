"""Benchmark the expiry lag: N running attempts whose deadlines fall within the next few
seconds, the real in-process job runner with the configured interval and grace; print JSON.

The command makes the attempts outside the measure (as ``bench_expiry`` does, with deadlines
spread evenly over ``--spread`` seconds starting ``--lead`` seconds after the learners are
made), starts a ``JobRunner`` with the expiry job alone, and waits until every attempt is
timed out, or ``--timeout`` seconds after the last one is due. Each attempt's lag is its
time-out's ``changed_at`` (the moment the job's run began) minus its deadline plus grace; the
lag at commit is the moment the last time-out was seen committed minus the last deadline plus
grace (polled every 0.1 s).

The runner times out every overdue attempt of the database: run it on a throwaway database.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from proctoring.attempts.expiry import CAUSE_DEADLINE
from proctoring.attempts.models import AttemptHistory
from proctoring.attempts.statuses import RUNNING_STATUSES
from proctoring.core.clock import now
from proctoring.devtools.management.commands.bench import (
    _database_version,
    _quiet_proctoring_log,
    write_report,
)
from proctoring.devtools.management.commands.bench_expiry import Overdue
from proctoring.jobs import JobRunner, job_named

POLL_SECONDS = 0.1


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted ``values`` (share in 0..1)."""
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]


class Command(BaseCommand):
    help = (
        "Make N running attempts due within seconds, run the in-process job runner and print, "
        "as JSON, how long after deadline + grace they were timed out. Use a throwaway database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--attempts", type=int, default=10_000, help="(default: 10000)")
        parser.add_argument("--exams", type=int, default=4, help="(default: 4)")
        parser.add_argument(
            "--lead", type=float, default=2.0, help="seconds to the first deadline (2)"
        )
        parser.add_argument(
            "--spread", type=float, default=5.0, help="seconds the deadlines span (5)"
        )
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="give up this long after the last (60)"
        )
        parser.add_argument("--output", help="also write the JSON document to this file")
        parser.add_argument("--prefix", help="course and username prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        attempts: int = options["attempts"]
        exams = min(options["exams"], attempts)
        lead: float = options["lead"]
        spread: float = options["spread"]
        if attempts < 1 or exams < 1 or lead < 0 or spread < 0 or options["timeout"] <= 0:
            raise CommandError("--attempts and --exams must be at least 1, the seconds positive")
        prefix: str = options["prefix"] or f"bench-lag-{uuid.uuid4().hex[:12]}"
        population = Overdue(prefix=prefix, attempts=attempts, exams=exams)
        grace = timedelta(seconds=settings.PROCTORING_SUBMIT_GRACE_SECONDS)

        def deadline_of(index: int, moment: datetime) -> datetime:
            return moment + timedelta(seconds=lead + spread * index / attempts)

        connection.ensure_connection()
        with _quiet_proctoring_log(options["verbosity"] < 2):
            started = time.perf_counter()
            population.create(deadline_of)
            setup_seconds = time.perf_counter() - started
            runner = JobRunner(jobs=(job_named("expiry"),))
            runner.start()
            try:
                last_due, seen_at = self._wait(population, grace, options["timeout"])
            finally:
                runner.stop(timeout=30)
        document = self._report(population, grace, setup_seconds, last_due, seen_at)
        document.update(lead_seconds=lead, spread_seconds=spread)
        write_report(document, output=options["output"], stdout=self.stdout)

    def _wait(self, population: Overdue, grace: timedelta, timeout: float) -> tuple[Any, Any]:
        """Poll until none of the attempts runs; the last deadline + grace and when seen."""
        mine = population.mine()
        last_due = max(mine.values_list("deadline_at", flat=True)) + grace
        while mine.filter(status__in=sorted(RUNNING_STATUSES)).exists():
            if (now() - last_due).total_seconds() > timeout:
                raise CommandError(f"Attempts still running {timeout} s after the last was due.")
            time.sleep(POLL_SECONDS)
        return last_due, now()

    def _report(
        self,
        population: Overdue,
        grace: timedelta,
        setup_seconds: float,
        last_due: datetime,
        seen_at: datetime,
    ) -> dict[str, Any]:
        rows = AttemptHistory.objects.filter(
            attempt__in=population.mine(), cause=CAUSE_DEADLINE
        ).values_list("changed_at", "attempt__deadline_at")
        lags = sorted(
            (changed - (deadline + grace)).total_seconds()
            for changed, deadline in rows
            if deadline is not None
        )
        if len(lags) != population.attempts:
            raise CommandError(f"{len(lags)} of {population.attempts} attempts were timed out.")
        runs = len(
            set(
                AttemptHistory.objects.filter(
                    attempt__in=population.mine(), cause=CAUSE_DEADLINE
                ).values_list("changed_at", flat=True)
            )
        )
        return {
            "benchmark": "expiry lag (in-process JobRunner)",
            "database": {"vendor": connection.vendor, "version": _database_version()},
            "attempts": population.attempts,
            "interval_seconds": settings.PROCTORING_EXPIRY_INTERVAL_SECONDS,
            "grace_seconds": settings.PROCTORING_SUBMIT_GRACE_SECONDS,
            "setup_seconds": round(setup_seconds, 3),
            "job_runs_that_timed_out": runs,
            "lag_max_seconds": round(lags[-1], 3),
            "lag_p99_seconds": round(percentile(lags, 0.99), 3),
            "lag_p50_seconds": round(percentile(lags, 0.5), 3),
            "lag_min_seconds": round(lags[0], 3),
            "last_committed_lag_seconds": round((seen_at - last_due).total_seconds(), 3),
        }
