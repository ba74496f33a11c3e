"""The outbox's side of the event port: events written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Model

from proctoring.core.events import SCHEMA_VERSION, DomainEvent
from proctoring.core.inserts import rows_insert
from proctoring.outbox.models import Event
from proctoring.outbox.wakeup import delivery_wake


class OutboxSink:
    """Writes events in one INSERT (with the caller's rows, in one statement on PostgreSQL),
    and wakes the in-process delivery once they commit."""

    def events_record(
        self,
        events: Sequence[DomainEvent],
        rows: Sequence[Model] = (),
        first: Sequence[tuple[str, list[Any]]] = (),
    ) -> None:
        rows_insert(
            [
                rows,
                [
                    Event(
                        type=event.type,
                        version=SCHEMA_VERSION,
                        occurred_at=event.occurred_at,
                        course_id=event.course_id,
                        attempt_id=event.attempt_id,
                        sequence=event.sequence,
                        payload=event.payload,
                    )
                    for event in events
                ],
            ],
            first=first,
        )
        transaction.on_commit(delivery_wake)
