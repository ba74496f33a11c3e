"""``proctoring webhooks add URL | list | remove ID | pause ID | resume ID | rotate ID |
replay ID SINCE``: webhook subscriptions (docs/events.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proctoring.exceptions import ProctoringError
from proctoring.outbox.models import Subscription
from proctoring.outbox.services import (
    subscription_create,
    subscription_get,
    subscription_list,
    subscription_remove,
    subscription_replay,
    subscription_rotate_secret,
    subscription_set_paused,
)


def _line(subscription: Subscription) -> str:
    types = ",".join(subscription.event_types) or "all"
    state = "paused" if subscription.paused else f"failures={subscription.failures}"
    return f"{subscription.pk}\t{subscription.name}\t{subscription.url}\t{types}\t{state}"


class Command(BaseCommand):
    help = "Add, list, pause, resume, rotate, replay or remove webhook subscriptions."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Subscribe a URL; its secret is printed once.")
        add.add_argument("url")
        add.add_argument("--name", default="")
        add.add_argument("--event-type", action="append", dest="event_types", default=[])
        actions.add_parser("list", help="The active subscriptions.")
        for name in ("remove", "pause", "resume", "rotate"):
            actions.add_parser(name).add_argument("id", type=int)
        replay = actions.add_parser("replay", help="Deliver again every event since a time.")
        replay.add_argument("id", type=int)
        replay.add_argument("since", type=datetime.fromisoformat, help="ISO 8601, with zone")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except ProctoringError as exc:
            raise CommandError(exc.message) from exc

    def _handle(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "add":
            new = subscription_create(
                url=options["url"], name=options["name"], event_types=options["event_types"]
            )
            self.stderr.write(f"Subscription {new.subscription.pk} added. Its secret, shown once:")
            self.stdout.write(new.secret)
            return
        if action == "list":
            for subscription in subscription_list():
                self.stdout.write(_line(subscription))
            return
        subscription = subscription_get(subscription_id=options["id"])
        if action == "remove":
            subscription_remove(subscription=subscription)
        elif action in ("pause", "resume"):
            subscription_set_paused(subscription=subscription, paused=action == "pause")
        elif action == "rotate":
            rotated = subscription_rotate_secret(subscription=subscription)
            until = subscription.previous_secret_until
            self.stderr.write(f"New secret; the previous one signs too until {until}:")
            self.stdout.write(rotated.secret)
            return
        else:
            since = options["since"]
            if since.tzinfo is None:
                raise CommandError("SINCE needs its time zone, e.g. 2030-01-01T00:00:00+00:00.")
            count = subscription_replay(subscription=subscription, since=since)
            self.stdout.write(f"{count} event(s) will be delivered again.")
            return
        self.stdout.write(f"Subscription {subscription.pk}: {action} done.")
