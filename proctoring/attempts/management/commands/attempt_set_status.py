"""Set an attempt's status by hand, with a reason (an operator's correction)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.attempts.staff_control import attempt_set_status
from proctoring.exceptions import ProctoringError


class Command(BaseCommand):
    help = (
        "Set an attempt's status through the one transition (illegal moves are refused); "
        "the reason is kept in the attempt's history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("attempt_id", type=int)
        parser.add_argument("status")
        parser.add_argument("--reason", required=True, help="why (kept in the history)")
        parser.add_argument("--actor", default="", help="the username of who asks (optional)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor_id = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"There is no user {options['actor']!r}.")
            actor_id = actor.pk
        try:
            attempt = attempt_set_status(
                attempt_id=options["attempt_id"],
                to_status=options["status"],
                actor_id=actor_id,
                reason=options["reason"],
            )
        except ProctoringError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Attempt {attempt.pk} is {attempt.status}.")
