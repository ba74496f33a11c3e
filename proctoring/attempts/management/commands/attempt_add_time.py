"""Add minutes to a running attempt."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.attempts.time_changes import attempt_add_time
from proctoring.exceptions import ProctoringError


class Command(BaseCommand):
    help = "Add minutes to a running attempt; its deadline moves by that much."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("attempt_id", type=int)
        parser.add_argument("minutes", type=int)
        parser.add_argument("--reason", default="", help="why (kept in the attempt's history)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            attempt = attempt_add_time(
                attempt_id=options["attempt_id"],
                minutes=options["minutes"],
                actor_id=None,
                reason=options["reason"] or "added by an operator",
            )
        except ProctoringError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Attempt {attempt.pk}: new deadline {attempt.deadline_at:%Y-%m-%d %H:%M:%S} UTC."
        )
