"""Run the expiry job now (for cron, or an operator): time out the attempts past their
deadline, expire the attempts never started past their due date."""

from typing import Any

from django.core.management.base import BaseCommand

from proctoring.attempts.expiry import attempts_expire


class Command(BaseCommand):
    help = (
        "Time out every running attempt whose deadline and grace period have passed, and "
        "expire every attempt never started whose due date has passed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = attempts_expire()
        self.stdout.write(f"Expired {count} attempt(s).")
