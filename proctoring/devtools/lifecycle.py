"""Renders the attempt lifecycle page (docs/attempt-lifecycle.md) from the lifecycle tables of
``proctoring/attempts/statuses.py``: statuses, illegal moves, the time-out rule, and the
learner's and staff's actions."""

from __future__ import annotations

from proctoring.attempts.statuses import (
    LEARNER_ACTIONS,
    STAFF_ACTIONS,
    STAFF_CONTROL,
    STATUS_TABLE,
    Action,
    AttemptStatus,
    is_transition_legal,
    timeout_status,
)


def _mark(flag: bool) -> str:
    return "yes" if flag else ""


def _statuses() -> list[str]:
    lines = [
        "## Statuses",
        "",
        "| status | completed | incomplete | credit requirement status | email | cascades |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for status, info in STATUS_TABLE.items():
        lines.append(
            f"| {status} | {_mark(info.completed)} | {_mark(info.incomplete)} "
            f"| {info.credit_status or ''} | {_mark(info.email)} | {_mark(info.cascades)} |"
        )
    return lines


def _illegal_moves() -> list[str]:
    lines = [
        "## Illegal moves",
        "",
        "Every move not listed here is legal; a move to the status the attempt already has",
        "changes nothing.",
        "",
        "| from | illegal targets |",
        "| --- | --- |",
    ]
    for source in AttemptStatus:
        illegal = [t.value for t in AttemptStatus if not is_transition_legal(source, t)]
        if illegal:
            lines.append(f"| {source} | {', '.join(illegal)} |")
    return lines


SETTINGS_COLUMNS: tuple[dict[str, bool], ...] = (
    {},
    {"ALLOW_TIMED_OUT_STATE": True},
    {"ALLOW_TIMED_OUT_STATE": False},
)


def _timeout_rule() -> list[str]:
    lines = [
        "## The time-out rule",
        "",
        "A move to `timed_out` becomes `submitted` unless the course provider's",
        "`ALLOW_TIMED_OUT_STATE` allows it; unset, it allows it only from `created`.",
        "",
        "| from | ALLOW_TIMED_OUT_STATE unset | true | false |",
        "| --- | --- | --- | --- |",
    ]
    for source in AttemptStatus:
        if STATUS_TABLE[source].incomplete:
            cells = [
                timeout_status(from_status=source, provider_settings=settings).value
                for settings in (
                    {},
                    {"ALLOW_TIMED_OUT_STATE": True},
                    {"ALLOW_TIMED_OUT_STATE": False},
                )
            ]
            lines.append(f"| {source} | {' | '.join(cells)} |")
    return lines


def _actions(title: str, actions: dict[str, Action]) -> list[str]:
    lines = [title, "", "| action | leads to | allowed from |", "| --- | --- | --- |"]
    for name, action in actions.items():
        sources = ", ".join(sorted(action.sources))
        lines.append(f"| {name} | {action.to_status} | {sources} |")
    return lines


def lifecycle_markdown() -> str:
    lines = [
        "# Attempt lifecycle",
        "",
        "Generated from `proctoring/attempts/statuses.py` by "
        "`proctoring lifecycle_doc > docs/attempt-lifecycle.md`; a test keeps it current.",
        "",
        *_statuses(),
        "",
        *_illegal_moves(),
        "",
        *_timeout_rule(),
        "",
        *_actions("## What a learner may do to its own attempt", LEARNER_ACTIONS),
        "",
        "Asking again for the status the attempt already has is accepted and changes nothing.",
        "",
        *_actions("## What course staff may do to an attempt of their course", STAFF_ACTIONS),
        "",
        *_actions("## What course staff may do to a running attempt", STAFF_CONTROL),
        "",
        "An administrator (global staff) may set any current attempt's status, with a reason;",
        "the illegal moves above are refused to them too.",
    ]
    return "\n".join(lines) + "\n"
