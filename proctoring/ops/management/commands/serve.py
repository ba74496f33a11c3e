"""``proctoring serve``: run the service under gunicorn with production defaults."""

from __future__ import annotations

import os
import shlex
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.ops.serve import ServeOptions, gunicorn_argv, serve_environment


class Command(BaseCommand):
    help = (
        "Serve the service with gunicorn: workers from the CPU count, threads, timeouts, "
        "proxy headers and JSON logs (docs/operations.md#serving)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = ServeOptions.from_environment()
        parser.add_argument("--bind", default=defaults.bind, help="address:port to listen on")
        parser.add_argument("--workers", type=int, default=defaults.workers)
        parser.add_argument("--threads", type=int, default=defaults.threads)
        parser.add_argument("--timeout", type=int, default=defaults.timeout)
        parser.add_argument(
            "--forwarded-allow-ips",
            default=defaults.forwarded_allow_ips,
            help="proxies trusted for X-Forwarded-Proto (comma-separated, * for any)",
        )
        parser.add_argument(
            "--no-access-log",
            dest="access_log",
            action="store_false",
            default=defaults.access_log,
            help="no gunicorn access line (the service logs one line per request anyway)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the gunicorn command, do not run it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("workers", "threads", "timeout"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        argv = gunicorn_argv(
            ServeOptions(
                bind=options["bind"],
                workers=options["workers"],
                threads=options["threads"],
                timeout=options["timeout"],
                forwarded_allow_ips=options["forwarded_allow_ips"],
                access_log=options["access_log"],
            )
        )
        if options["dry_run"]:
            self.stdout.write(shlex.join(argv))
            return
        environment = serve_environment()
        self.stdout.flush()
        os.execvpe(argv[0], argv, environment)
