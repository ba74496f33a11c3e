"""The flag rules: what in an attempt's events is an irregularity, and how serious.

Pure functions of the events (kind, time, data), the exam's settings and the snapshot count,
so the rules are tested without a database and the same ones run at submission and for a
running attempt's review page. A flag is an indication for a human reviewer, never a verdict:
the exam page cannot see a phone on the desk, and a learner can fake what the page reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LOW, MEDIUM, HIGH = "low", "medium", "high"
SEVERITIES = (LOW, MEDIUM, HIGH)

# The kinds of events the exam page sends (browser-proctoring.js), and the server's own.
AWAY_STARTS = {"page_hidden", "window_blur"}
AWAY_ENDS = {"page_visible", "window_focus"}
CLIPBOARD = {"copy": LOW, "cut": MEDIUM, "paste": HIGH, "context_menu": LOW}
EVENT_KINDS = frozenset(
    {
        *AWAY_STARTS,
        *AWAY_ENDS,
        *CLIPBOARD,
        "fullscreen_enter",
        "fullscreen_exit",
        "window_small",
        "screens",
        "camera_error",
        "heartbeat",
        "started",
        "ended",
        "network_offline",
        "network_online",
    }
)
HEARTBEAT_GAP = "heartbeat_gap"  # written by the server, never accepted from the page


@dataclass(frozen=True)
class Observed:
    """An event as the rules read it."""

    kind: str
    at: datetime
    data: dict[str, Any]
    event_id: int | None = None


@dataclass(frozen=True)
class RuleSettings:
    """The parts of an exam's settings the rules read."""

    fullscreen_required: bool
    camera_required: bool
    camera_snapshots: bool
    snapshot_interval_seconds: int
    away_seconds_limit: int
    heartbeat_gap_seconds: int


@dataclass(frozen=True)
class Flag:
    rule: str
    severity: str
    detail: str
    at: datetime | None = None
    event_id: int | None = None


def _away(events: Sequence[Observed], end: datetime | None, limit: int) -> list[Flag]:
    """Time away from the page: from a hide or blur to the next show or focus (or the end),
    the overlapping spans counted once; flagged when the total passes the limit."""
    total = 0.0
    away_since: datetime | None = None
    first: Observed | None = None
    for event in events:
        if event.kind in AWAY_STARTS and away_since is None:
            away_since, first = event.at, first or event
        elif event.kind in AWAY_ENDS and away_since is not None:
            total += max(0.0, (event.at - away_since).total_seconds())
            away_since = None
    if away_since is not None and end is not None:
        total += max(0.0, (end - away_since).total_seconds())
    if first is None or total <= limit:
        return []
    severity = HIGH if total > 4 * max(limit, 1) else MEDIUM
    return [
        Flag(
            "away",
            severity,
            f"Away from the exam page for {round(total)} s in total (limit {limit} s).",
            first.at,
            first.event_id,
        )
    ]


def flags_evaluate(
    *,
    events: Iterable[Observed],
    rules: RuleSettings,
    camera_snapshots: int,
    started_at: datetime | None,
    ended_at: datetime | None,
) -> list[Flag]:
    """Every flag of an attempt's events, in time order."""
    ordered = sorted(events, key=lambda event: event.at)
    flags = _away(ordered, ended_at, rules.away_seconds_limit)
    for event in ordered:
        at, eid = event.at, event.event_id
        if event.kind == "fullscreen_exit" and rules.fullscreen_required:
            flags.append(Flag("fullscreen_left", MEDIUM, "Left full screen.", at, eid))
        elif event.kind in CLIPBOARD:
            label = event.kind.replace("_", " ")
            flags.append(Flag("clipboard", CLIPBOARD[event.kind], f"A {label} attempt.", at, eid))
        elif event.kind == "window_small":
            size = f"{event.data.get('width', '?')}x{event.data.get('height', '?')}"
            flags.append(Flag("window_small", LOW, f"The window shrunk to {size}.", at, eid))
        elif event.kind == "screens" and _int(event.data.get("count")) > 1:
            count = _int(event.data.get("count"))
            flags.append(Flag("second_screen", MEDIUM, f"{count} screens attached.", at, eid))
        elif event.kind == "camera_error" and rules.camera_required:
            flags.append(Flag("camera_lost", HIGH, "The camera stopped giving frames.", at, eid))
        elif event.kind == HEARTBEAT_GAP:
            seconds = _int(event.data.get("seconds"))
            if seconds > rules.heartbeat_gap_seconds:
                severity = HIGH if seconds > 5 * rules.heartbeat_gap_seconds else MEDIUM
                detail = f"No news from the page for {seconds} s."
                flags.append(Flag("network_gap", severity, detail, at, eid))
    if rules.camera_required and rules.camera_snapshots and started_at and ended_at:
        expected = (ended_at - started_at).total_seconds() / max(rules.snapshot_interval_seconds, 1)
        if expected >= 2 and camera_snapshots < expected / 2:
            flags.append(
                Flag(
                    "no_camera_frames",
                    HIGH,
                    f"{camera_snapshots} camera snapshots where about {int(expected)} were due.",
                    started_at,
                )
            )
    return sorted(flags, key=lambda flag: flag.at.timestamp() if flag.at else float("inf"))


def flags_summary(flags: Sequence[Flag], *, events: int, snapshots: int) -> dict[str, Any]:
    """The attempt's proctoring summary: flags counted by rule and by severity."""
    return {
        "flags": len(flags),
        "by_rule": dict(sorted(Counter(flag.rule for flag in flags).items())),
        "by_severity": {
            severity: sum(1 for flag in flags if flag.severity == severity)
            for severity in SEVERITIES
        },
        "events": events,
        "snapshots": snapshots,
    }


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
