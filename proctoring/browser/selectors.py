"""Browser proctoring's reads: what the exam page observes for an attempt, and what its
reviewer sees (the timeline of events and flags beside the snapshots), with the log of who
looked (every read of a learner's proctoring data by staff writes a BrowserDataView)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import JSONField, OuterRef, Subquery

from proctoring.attempts.models import Attempt
from proctoring.browser.flags import Flag, flags_summary
from proctoring.browser.models import (
    BrowserDataView,
    BrowserEvent,
    BrowserExamSettings,
    BrowserSession,
    BrowserSnapshot,
    Irregularity,
)
from proctoring.browser.provider import BrowserProvider
from proctoring.browser.services import browser_flags_for, browser_settings_for_exam
from proctoring.core.clock import now
from proctoring.exams.selectors import exam_provider_name
from proctoring.providers.registry import provider_get


def exam_is_browser_proctored(exam: Any) -> bool:
    """Whether the exam's provider is the browser provider (no statement: the course loaded)."""
    if not exam.is_proctored:
        return False
    return isinstance(provider_get(exam_provider_name(exam)), BrowserProvider)


def browser_session_by_external_id(external_id: str) -> BrowserSession | None:
    return (
        BrowserSession.objects.select_related("attempt__exam__course")
        .filter(external_id=external_id)
        .first()
    )


@dataclass(frozen=True)
class ObserverConfig:
    """What the running exam page's script observes, and how often it reports."""

    settings: BrowserExamSettings
    flush_seconds: int


def browser_observer_for(attempt: Attempt) -> ObserverConfig | None:
    """The observation of a running browser-proctored attempt, else None."""
    if not attempt.taking_as_proctored or not exam_is_browser_proctored(attempt.exam):
        return None
    exam_settings = browser_settings_for_exam(exam_id=attempt.exam_id)
    # The page reports at least this often (its heartbeat), well inside the gap threshold.
    flush = max(2, min(15, exam_settings.heartbeat_gap_seconds // 4))
    return ObserverConfig(exam_settings, flush)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "event", "flag", "snapshot"
    label: str
    anchor: str
    severity: str = ""
    snapshot_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BrowserReview:
    session: BrowserSession
    summary: dict[str, Any]
    flags: list[Flag]
    items: list[TimelineItem]
    snapshots: list[BrowserSnapshot]
    closed: bool


def browser_review_for(*, attempt: Attempt, viewer_id: int | None) -> BrowserReview | None:
    """The attempt's proctoring data for its reviewer (None when it has none), logged as
    viewed by ``viewer_id``. A closed attempt shows the flags recorded at its submission; a
    running one, those its events raise so far."""
    session = BrowserSession.objects.filter(attempt_id=attempt.pk).first()
    if session is None:
        return None
    if session.closed_at is not None:
        flags = [
            Flag(row.rule, row.severity, row.detail, row.at, row.event_id)
            for row in Irregularity.objects.filter(attempt_id=attempt.pk).order_by("at", "id")
        ]
        summary = dict(session.summary)
    else:
        exam_settings = browser_settings_for_exam(exam_id=attempt.exam_id)
        flags, count, cameras = browser_flags_for(attempt, exam_settings, now())
        summary = flags_summary(flags, events=count, snapshots=cameras)
    events = list(BrowserEvent.objects.filter(attempt_id=attempt.pk).order_by("occurred_at", "id"))
    snapshots = list(
        BrowserSnapshot.objects.filter(attempt_id=attempt.pk).order_by("taken_at", "id")
    )
    items = [
        TimelineItem(e.occurred_at, "event", e.kind.replace("_", " "), f"ev-{e.pk}", data=e.data)
        for e in events
    ]
    items += [
        TimelineItem(
            f.at or attempt.started_at or now(),
            "flag",
            f.detail,
            f"ev-{f.event_id}" if f.event_id else f"flag-{index}",
            severity=f.severity,
        )
        for index, f in enumerate(flags)
    ]
    items += [
        TimelineItem(s.taken_at, "snapshot", s.kind, f"snap-{s.pk}", snapshot_id=s.pk)
        for s in snapshots
    ]
    items.sort(key=lambda item: (item.at, {"flag": 0, "event": 1, "snapshot": 2}[item.kind]))
    BrowserDataView.objects.create(
        viewer_id=viewer_id,
        attempt_id=attempt.pk,
        what=BrowserDataView.What.TIMELINE,
        viewed_at=now(),
    )
    return BrowserReview(session, summary, flags, items, snapshots, session.closed_at is not None)


def browser_snapshot_get(*, snapshot_id: int) -> BrowserSnapshot | None:
    """One snapshot with its attempt's exam (the caller checks the viewer may review it)."""
    return BrowserSnapshot.objects.select_related("attempt__exam").filter(pk=snapshot_id).first()


def browser_snapshot_view_log(*, snapshot: BrowserSnapshot, viewer_id: int | None) -> None:
    BrowserDataView.objects.create(
        viewer_id=viewer_id,
        attempt_id=snapshot.attempt_id,
        what=BrowserDataView.What.SNAPSHOT,
        snapshot=snapshot,
        viewed_at=now(),
    )


def browser_summary_subquery() -> Subquery:
    """The summary of an attempt's closed session (None without one), to annotate attempts
    with in the statement that lists them (the review queue)."""
    closed = BrowserSession.objects.filter(attempt_id=OuterRef("pk"), closed_at__isnull=False)
    return Subquery(closed.values("summary")[:1], output_field=JSONField())
