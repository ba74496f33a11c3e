"""``proctoring events deliver | backlog | deliveries ID [--outcome O] | retry DELIVERY_ID``: the
outbox for operators (docs/events.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.outbox.delivery import outbox_deliver
from proctoring.outbox.models import Delivery
from proctoring.outbox.services import delivery_retry, outbox_backlog


class Command(BaseCommand):
    help = "Run one delivery pass, show the backlog, list deliveries, or retry one."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("deliver", help="One delivery pass over every due subscription.")
        actions.add_parser("backlog", help="Undelivered events and the age of the oldest.")
        deliveries = actions.add_parser("deliveries", help="A subscription's delivery log.")
        deliveries.add_argument("subscription", type=int)
        deliveries.add_argument("--outcome", choices=Delivery.Outcome.values)
        deliveries.add_argument("--limit", type=int, default=50)
        retry = actions.add_parser("retry", help="Send a delivery's event once more, now.")
        retry.add_argument("delivery", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "deliver":
            self.stdout.write(f"Delivered {outbox_deliver()} event(s).")
        elif action == "backlog":
            backlog = outbox_backlog()
            oldest = backlog.oldest_undelivered_at
            when = oldest.isoformat() if oldest else "-"
            self.stdout.write(f"{backlog.undelivered} undelivered; oldest: {when}")
        elif action == "deliveries":
            rows = Delivery.objects.filter(subscription_id=options["subscription"])
            if options["outcome"]:
                rows = rows.filter(outcome=options["outcome"])
            for row in rows.select_related("event").order_by("-id")[: options["limit"]]:
                self.stdout.write(
                    f"{row.pk}\t{row.attempted_at:%Y-%m-%dT%H:%M:%S}\t{row.event.type}\t"
                    f"{row.event.event_id}\t{row.outcome}\t{row.status_code or '-'}\t{row.error}"
                )
        else:
            delivery = (
                Delivery.objects.select_related("event", "subscription")
                .filter(pk=options["delivery"])
                .first()
            )
            if delivery is None:
                raise CommandError(f"There is no delivery {options['delivery']}.")
            again = delivery_retry(delivery=delivery)
            self.stdout.write(f"Delivery {again.pk}: {again.outcome} {again.error}".rstrip())
