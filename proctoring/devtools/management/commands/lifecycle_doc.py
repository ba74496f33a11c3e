"""Print docs/attempt-lifecycle.md, generated from the status table."""

from typing import Any

from django.core.management.base import BaseCommand

from proctoring.devtools.lifecycle import lifecycle_markdown


class Command(BaseCommand):
    help = "Print the attempt lifecycle page generated from the status table."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(lifecycle_markdown(), ending="")
