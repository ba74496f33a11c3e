"""List the running attempts and their deadlines."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from proctoring.attempts import time_math
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import RUNNING_STATUSES
from proctoring.core.clock import now


class Command(BaseCommand):
    help = "List running attempts (started or ready to submit) with their deadlines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", help="only this course_id")

    def handle(self, *args: Any, **options: Any) -> None:
        attempts = (
            Attempt.objects.select_related("exam", "user")
            .filter(status__in=sorted(RUNNING_STATUSES), archived_at__isnull=True)
            .order_by("deadline_at", "id")
        )
        if options["course"]:
            attempts = attempts.filter(exam__course_id=options["course"])
        moment = now()
        self.stdout.write("id\tuser\tcourse\texam\tstatus\tdeadline (UTC)\tremaining\tpaused")
        for attempt in attempts:
            left = time_math.remaining_seconds(
                deadline_at=attempt.deadline_at, now=moment, paused_at=attempt.paused_at
            )
            self.stdout.write(
                "\t".join(
                    [
                        str(attempt.pk),
                        attempt.user.username,
                        attempt.exam.course_id,
                        attempt.exam.exam_name,
                        attempt.status,
                        f"{attempt.deadline_at:%Y-%m-%d %H:%M:%S}" if attempt.deadline_at else "-",
                        "-" if left is None else f"{left // 60}m{left % 60:02d}s",
                        "yes" if attempt.paused_at else "",
                    ]
                )
            )
