"""``proctoring lti_keys``: the platform's LTI signing keys. ``list`` shows them, ``rotate``
makes the next key active (new tokens carry its kid) and retires the active one, ``prune``
deletes retired keys past their grace period (docs/lti.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from proctoring.lti.keys import keys_prune, keys_published, keys_rotate
from proctoring.lti.models import LtiKey


class Command(BaseCommand):
    help = "List, rotate or prune the platform's LTI signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("list", "rotate", "prune"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rotate":
            key = keys_rotate()
            self.stdout.write(f"Active key: {key.kid}")
        elif action == "prune":
            self.stdout.write(f"Deleted {keys_prune()} retired key(s).")
        published = {key.pk for key in keys_published()}
        if action == "list":
            for key in LtiKey.objects.all():
                where = "published" if key.pk in published else "unpublished"
                self.stdout.write(f"{key.kid}\t{key.state}\t{where}\t{key.created.isoformat()}")
