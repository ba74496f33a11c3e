"""``proctoring bench_outbox --events N``: how fast the outbox delivers to a webhook.

Writes N ``exam.changed`` events in one transaction (outside the measure), subscribes a local
receiver (``scripts/webhook_sink.py``, in its own process, on a loopback port), then times the
delivery passes until every event is delivered, counting their SQL statements. Prints JSON.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from proctoring.core.clock import now
from proctoring.core.events import EXAM_CHANGED, DomainEvent, events_record
from proctoring.devtools.management.commands.bench import _database_version, write_report
from proctoring.outbox.delivery import outbox_deliver
from proctoring.outbox.models import Subscription
from proctoring.outbox.services import subscription_create

SINK = Path(__file__).resolve().parents[4] / "scripts" / "webhook_sink.py"


class Command(BaseCommand):
    help = "Measure the outbox's delivery rate to a local webhook receiver."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--output")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["events"]
        if count < 1:
            raise CommandError("--events must be at least 1")
        sink = subprocess.Popen(
            [sys.executable, str(SINK)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert sink.stdout is not None
            url = sink.stdout.readline().strip()
            document = self._measure(url, count)
        finally:
            sink.communicate(timeout=10)
        write_report(document, output=options["output"], stdout=self.stdout)

    def _measure(self, url: str, count: int) -> dict[str, Any]:
        with override_settings(PROCTORING_WEBHOOKS_ALLOW_PRIVATE=True):
            # Only this subscription is measured: the others wait until it is done.
            Subscription.objects.filter(active=True).update(paused=True)
            subscription = subscription_create(url=url, name="bench").subscription
        moment = now()
        with transaction.atomic():
            events_record(
                [
                    DomainEvent(type=EXAM_CHANGED, occurred_at=moment, course_id="bench")
                    for _ in range(count)
                ]
            )
        started = time.perf_counter()
        delivered = 0
        with CaptureQueriesContext(connection) as queries:
            while delivered < count:
                done = outbox_deliver()
                if not done:
                    raise CommandError(f"Delivery stopped after {delivered} of {count} events.")
                delivered += done
        seconds = time.perf_counter() - started
        received = int(httpx.get(url).text)
        Subscription.objects.filter(pk=subscription.pk).update(active=False)
        Subscription.objects.filter(active=True, name__in=("credit", "email")).update(paused=False)
        if received != count:
            raise CommandError(f"The receiver got {received} requests for {count} events.")
        return {
            "benchmark": "outbox_delivery",
            "database": {"vendor": connection.vendor, "version": _database_version()},
            "events": count,
            "seconds": round(seconds, 3),
            "events_per_second": round(count / seconds, 1),
            "statements": len(queries.captured_queries),
            "statements_per_event": round(len(queries.captured_queries) / count, 4),
            "received": received,
            "notes": [
                "One POST per event, signed (Standard Webhooks), over one keep-alive connection "
                "to a receiver in another process on the same machine.",
                "statements counts the delivery passes' SQL: leases, reads, the delivery log "
                "(one INSERT per batch), the cursor.",
            ],
        }
