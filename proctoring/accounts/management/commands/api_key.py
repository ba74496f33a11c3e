"""``proctoring api_key create NAME | revoke PREFIX | list``: API keys of service accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.accounts.models import ApiKey
from proctoring.accounts.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create, revoke or list the API keys of platform service accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key; it is printed once.")
        create.add_argument("name", help="The service account (platform) the key serves.")
        revoke = actions.add_parser("revoke", help="Revoke a key.")
        revoke.add_argument("prefix", help="The key's prefix (or the whole key).")
        actions.add_parser("list", help="List keys (prefixes only).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                api_key, raw_key = api_key_create(name=options["name"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stderr.write(
                f"Created API key {api_key.prefix} for service account {api_key.user.username}. "
                "It is shown this once only:"
            )
            self.stdout.write(raw_key)
        elif action == "revoke":
            if not api_key_revoke(prefix=options["prefix"]):
                raise CommandError(f"No active API key has the prefix {options['prefix']!r}.")
            self.stdout.write(f"Revoked API key {options['prefix']}.")
        else:
            for api_key in ApiKey.objects.select_related("user"):
                state = f"revoked {api_key.revoked_at:%Y-%m-%d}" if api_key.revoked_at else "active"
                self.stdout.write(f"{api_key.prefix}\t{api_key.name}\t{state}")
