"""``proctoring run_jobs``: run the background jobs once each, for cron (``PROCTORING_JOBS=off``).

Unlike ``expire_attempts``, each run is recorded (metrics and the last success that
``/health/ready`` checks); a failed job makes the command fail.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.jobs import JOBS, job_run_recorded


class Command(BaseCommand):
    help = "Run every background job of the registry once (or --job LABEL), recording each run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--job", choices=[job.label for job in JOBS], help="only this job")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = []
        for job in JOBS:
            if options["job"] and job.label != options["job"]:
                continue
            try:
                done = job_run_recorded(job)
            except Exception as exc:  # reported below; the other jobs still run
                failed.append(f"the {job.label} job failed: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(f"The {job.label} job did {done}.")
        if failed:
            message = "; ".join(failed)
            raise CommandError(f"{message[0].upper()}{message[1:]}.")
