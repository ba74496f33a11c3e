"""``proctoring browser_purge [--days N]``: delete browser proctoring snapshots older than the
retention (``PROCTORING_BROWSER_RETENTION_DAYS``), files and rows; run it daily (cron, or the
Celery beat entry)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.browser.config import retention_days
from proctoring.browser.retention import browser_snapshots_purge


class Command(BaseCommand):
    help = "Delete browser proctoring snapshots (files and rows) older than N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days (default: PROCTORING_BROWSER_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else retention_days()
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = browser_snapshots_purge(days=days)
        self.stdout.write(f"Deleted {deleted} snapshot(s) older than {days} day(s).")
