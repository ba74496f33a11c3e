"""``proctoring retire_user USERNAME``: remove a learner's personal data, keep their attempts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.accounts.retirement import user_retire
from proctoring.exceptions import UserNotFoundException


class Command(BaseCommand):
    help = (
        "Retire a user: clear the name and email, replace the username by retired_user_<hash>, "
        "remove platform identity links and revoke API keys; attempts and results are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            retirement = user_retire(username=options["username"])
        except UserNotFoundException as exc:
            raise CommandError(exc.message) from exc
        if retirement.already_retired:
            self.stdout.write(f"Already retired, as {retirement.username}.")
            return
        self.stdout.write(
            f"Retired user {retirement.user_id} as {retirement.username}: "
            f"{retirement.platform_identities_removed} platform identity link(s) removed, "
            f"{retirement.api_keys_revoked} API key(s) revoked."
        )
