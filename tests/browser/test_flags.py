"""The flag rules, on events alone (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proctoring.browser.flags import (
    HEARTBEAT_GAP,
    Observed,
    RuleSettings,
    flags_evaluate,
    flags_summary,
)

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RULES = RuleSettings(
    fullscreen_required=True,
    camera_required=True,
    camera_snapshots=True,
    snapshot_interval_seconds=60,
    away_seconds_limit=30,
    heartbeat_gap_seconds=60,
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def evaluate(events, *, cameras=10, minutes=10, rules=RULES):
    return flags_evaluate(
        events=events,
        rules=rules,
        camera_snapshots=cameras,
        started_at=T0,
        ended_at=at(minutes * 60),
    )


def test_a_clean_attempt_has_no_flag():
    events = [Observed("started", at(0), {}), Observed("heartbeat", at(10), {})]
    assert evaluate(events) == []


def test_time_away_is_summed_and_flagged_past_the_limit():
    short = [Observed("page_hidden", at(10), {}), Observed("page_visible", at(25), {})]
    assert evaluate(short) == []
    twice = [*short, Observed("window_blur", at(100), {}), Observed("window_focus", at(120), {})]
    (flag,) = evaluate(twice)
    assert (flag.rule, flag.severity, flag.at) == ("away", "medium", at(10))
    assert "35 s" in flag.detail


def test_time_away_until_the_end_counts_and_a_long_absence_is_high():
    (flag,) = evaluate([Observed("page_hidden", at(0), {}, event_id=7)], minutes=5)
    assert (flag.rule, flag.severity, flag.event_id) == ("away", "high", 7)


def test_overlapping_hide_and_blur_count_once():
    events = [
        Observed("page_hidden", at(0), {}),
        Observed("window_blur", at(1), {}),
        Observed("page_visible", at(20), {}),
        Observed("window_focus", at(21), {}),
    ]
    assert evaluate(events) == []


def test_full_screen_left_is_flagged_only_when_required():
    events = [Observed("fullscreen_exit", at(5), {})]
    assert [f.rule for f in evaluate(events)] == ["fullscreen_left"]
    relaxed = RuleSettings(**{**RULES.__dict__, "fullscreen_required": False})
    assert evaluate(events, rules=relaxed) == []


def test_clipboard_attempts_have_their_severity():
    events = [Observed(kind, at(i), {}) for i, kind in enumerate(("copy", "paste", "cut"))]
    assert [(f.rule, f.severity) for f in evaluate(events)] == [
        ("clipboard", "low"),
        ("clipboard", "high"),
        ("clipboard", "medium"),
    ]


def test_a_second_screen_a_small_window_and_a_lost_camera():
    events = [
        Observed("screens", at(1), {"count": 1}),
        Observed("screens", at(2), {"count": 2}),
        Observed("window_small", at(3), {"width": 400, "height": 300}),
        Observed("camera_error", at(4), {"reason": "ended"}),
    ]
    assert [f.rule for f in evaluate(events)] == ["second_screen", "window_small", "camera_lost"]


def test_network_gaps_longer_than_the_threshold():
    events = [
        Observed(HEARTBEAT_GAP, at(10), {"seconds": 50}),
        Observed(HEARTBEAT_GAP, at(100), {"seconds": 90}),
        Observed(HEARTBEAT_GAP, at(300), {"seconds": 400}),
    ]
    assert [(f.rule, f.severity) for f in evaluate(events)] == [
        ("network_gap", "medium"),
        ("network_gap", "high"),
    ]


def test_too_few_camera_frames_when_the_camera_is_required():
    flags = evaluate([], cameras=3, minutes=10)
    assert [(f.rule, f.severity) for f in flags] == [("no_camera_frames", "high")]
    assert evaluate([], cameras=5, minutes=10) == []


def test_the_summary_counts_by_rule_and_severity():
    events = [Observed("paste", at(1), {}), Observed("copy", at(2), {})]
    flags = evaluate(events, cameras=0)
    summary = flags_summary(flags, events=2, snapshots=0)
    assert summary == {
        "flags": 3,
        "by_rule": {"clipboard": 2, "no_camera_frames": 1},
        "by_severity": {"low": 1, "medium": 0, "high": 2},
        "events": 2,
        "snapshots": 0,
    }
