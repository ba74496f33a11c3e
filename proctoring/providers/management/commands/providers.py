"""``proctoring providers``: the configured provider aliases, their class, and whether their
configuration passes the checks (exit status 1 when one does not); with ``--prune-messages``,
forget the callbacks' old message ids."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.providers.callbacks import callback_messages_prune
from proctoring.providers.checks import alias_problems
from proctoring.providers.registry import (
    provider_aliases,
    provider_class_path,
    provider_default_alias,
    provider_entry,
)


class Command(BaseCommand):
    help = "List the proctoring provider aliases, their class, and whether their checks pass."
    requires_system_checks: list[str] = []  # it reports the problems itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prune-messages",
            action="store_true",
            help="Forget the callbacks' message ids older than an hour (run it daily).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["prune_messages"]:
            self.stdout.write(f"Forgot {callback_messages_prune()} message id(s).")
            return
        default = provider_default_alias()
        aliases = provider_aliases()
        if default not in aliases:
            aliases.insert(0, default)
        failed = 0
        for alias in aliases:
            entry = provider_entry(alias)
            path = provider_class_path(alias, entry) if entry is not None else "-"
            problems = alias_problems(alias) if entry is not None else ["not configured"]
            marker = " (default)" if alias == default else ""
            verdict = "ok" if not problems else "FAIL: " + "; ".join(problems)
            self.stdout.write(f"{alias}{marker}\t{path}\t{verdict}")
            failed += bool(problems)
        if failed:
            raise CommandError(f"{failed} provider(s) fail their checks.")
