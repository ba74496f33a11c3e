"""An attempt's timeline, as course staff read it: one kind of entry per source, each read by
its own selector (one statement each). The attempts app gives the status history and the
clock's changes; other apps give theirs (reviews, a provider's events) in the same shape, and
the interface merges them by time (``timeline_merge``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from proctoring.attempts.models import AttemptHistory, AttemptTimeChange


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to an attempt: when, what kind, who and why, and its details."""

    at: datetime
    source: str  # "status", "time", "review", ...: which selector gave it
    kind: str  # what happened, within its source (a status, "pause", a review's verdict)
    actor_id: int | None = None
    actor: str = ""  # the actor's username, when a person acted
    cause: str = ""
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    order: int = 0  # the row's id within its source: ties at one moment keep their order


TimelineSource = Callable[[int], list[TimelineEntry]]


def _username(user: Any) -> str:
    return str(user.username) if user is not None else ""


def timeline_status_entries(attempt_id: int) -> list[TimelineEntry]:
    """The attempt's status changes, its creation first (one statement)."""
    rows = AttemptHistory.objects.select_related("actor").filter(attempt_id=attempt_id)
    return [
        TimelineEntry(
            at=row.changed_at,
            source="status",
            kind=row.to_status,
            actor_id=row.actor_id,
            actor=_username(row.actor),
            cause=row.cause,
            reason=row.reason,
            data={"from_status": row.from_status, "to_status": row.to_status},
            order=row.pk,
        )
        for row in rows.order_by("id")
    ]


def timeline_time_entries(attempt_id: int) -> list[TimelineEntry]:
    """The changes of the attempt's clock: pauses, resumes, added time (one statement)."""
    rows = AttemptTimeChange.objects.select_related("actor").filter(attempt_id=attempt_id)
    return [
        TimelineEntry(
            at=row.changed_at,
            source="time",
            kind=row.kind,
            actor_id=row.actor_id,
            actor=_username(row.actor),
            reason=row.reason,
            data={
                "seconds": row.seconds,
                "deadline_before": row.deadline_before,
                "deadline_after": row.deadline_after,
            },
            order=row.pk,
        )
        for row in rows.order_by("id")
    ]


def timeline_merge(sources: Iterable[list[TimelineEntry]]) -> list[TimelineEntry]:
    """The entries of every source, oldest first; at one moment, in the sources' order."""
    merged = [
        (entry.at, rank, entry.order, entry)
        for rank, entries in enumerate(sources)
        for entry in entries
    ]
    return [entry for *_, entry in sorted(merged, key=lambda item: item[:3])]
