"""Time out the attempts past their deadline now (for cron, or an operator)."""

from typing import Any

from django.core.management.base import BaseCommand

from proctoring.attempts.expiry import attempts_expire_overdue


class Command(BaseCommand):
    help = "Time out every running attempt whose deadline and grace period have passed."

    def handle(self, *args: Any, **options: Any) -> None:
        count = attempts_expire_overdue()
        self.stdout.write(f"Expired {count} attempt(s).")
