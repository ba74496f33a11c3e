"""Events the domain records for the platforms, and the port through which it records them.

The domain builds ``DomainEvent`` values inside the transaction that makes the change and hands
them to ``events_record``; the outbox (proctoring/outbox) registers itself as the sink when the
apps are ready and writes them in that same transaction, so a change and its events commit or
roll back together. With no sink registered, recording does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from proctoring.core.inserts import rows_insert

if TYPE_CHECKING:
    from django.db.models import Model

# The event types and the version of their payload schema (docs/events/).
ATTEMPT_STATUS_CHANGED = "attempt.status_changed"
ATTEMPT_RESET = "attempt.reset"
ATTEMPT_TIME_CHANGED = "attempt.time_changed"
REVIEW_RECORDED = "review.recorded"
REVIEW_ATTENTION_NEEDED = "review.attention_needed"
ALLOWANCE_CHANGED = "allowance.changed"
EXAM_CHANGED = "exam.changed"
EVENT_TYPES = (
    ATTEMPT_STATUS_CHANGED,
    ATTEMPT_RESET,
    ATTEMPT_TIME_CHANGED,
    REVIEW_RECORDED,
    REVIEW_ATTENTION_NEEDED,
    ALLOWANCE_CHANGED,
    EXAM_CHANGED,
)
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DomainEvent:
    """One thing that happened, as the platforms will hear of it."""

    type: str
    occurred_at: datetime
    course_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempt_id: int | None = None
    sequence: int | None = None  # the attempt's own event counter, when about an attempt


class EventSink(Protocol):
    def events_record(
        self,
        events: Sequence[DomainEvent],
        rows: Sequence[Model] = (),
        first: Sequence[tuple[str, list[Any]]] = (),
    ) -> None:
        """Store the events in the caller's transaction, with the caller's ``rows`` (of one
        model) and after its ``first`` statements, in one statement where the database
        allows (``core.inserts``)."""


_lock = threading.Lock()
_sink: EventSink | None = None


def event_sink_set(sink: EventSink | None) -> None:
    global _sink
    with _lock:
        _sink = sink


def events_record(
    events: Sequence[DomainEvent],
    *,
    rows: Sequence[Model] = (),
    first: Sequence[tuple[str, list[Any]]] = (),
) -> None:
    """Hand the events to the registered sink, inside the caller's transaction; ``rows`` of
    the caller's own (of one model: the history of the change the events tell) are inserted
    with them, after the caller's ``first`` statements (``(sql, params)``: the attempt's
    ``UPDATE``), in one statement on PostgreSQL (a status change's last round trip)."""
    sink = _sink
    if sink is not None and events:
        sink.events_record(events, rows, first)
    elif rows or first:
        rows_insert([rows], first=first)
