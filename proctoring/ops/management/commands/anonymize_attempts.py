"""``proctoring anonymize_attempts``: retire the learners whose attempts all ended long ago."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.ops.retention import (
    learners_due_for_retirement,
    learners_retire_expired,
    retention_cutoff,
)


class Command(BaseCommand):
    help = (
        "Retire (remove the personal data of) every learner whose attempts are all completed "
        "and unchanged for more than PROCTORING_RETENTION_DAYS days (or --days)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="overrides the setting")
        parser.add_argument(
            "--dry-run", action="store_true", help="list who would be retired, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = (
            options["days"] if options["days"] is not None else settings.PROCTORING_RETENTION_DAYS
        )
        if days < 1:
            raise CommandError(
                "Retention is off: set PROCTORING_RETENTION_DAYS or pass --days (at least 1)."
            )
        if options["dry_run"]:
            due = list(learners_due_for_retirement(cutoff=retention_cutoff(days)))
            for username in due:
                self.stdout.write(username)
            self.stdout.write(f"{len(due)} learner(s) would be retired.")
            return
        done = learners_retire_expired(days=days)
        self.stdout.write(
            f"Retired {len(done)} learner(s) whose attempts all ended more than {days} days ago."
        )
