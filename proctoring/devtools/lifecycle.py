"""Renders the attempt lifecycle page (docs/attempt-lifecycle.md) from the status table."""

from __future__ import annotations

from proctoring.attempts.statuses import STATUS_TABLE, AttemptStatus, is_transition_legal


def lifecycle_markdown() -> str:
    def mark(flag: bool) -> str:
        return "yes" if flag else ""

    lines = [
        "# Attempt lifecycle",
        "",
        "Generated from `proctoring/attempts/statuses.py` by "
        "`proctoring lifecycle_doc > docs/attempt-lifecycle.md`; a test keeps it current.",
        "",
        "## Statuses",
        "",
        "| status | completed | incomplete | credit requirement status | email | cascades |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for status, info in STATUS_TABLE.items():
        lines.append(
            f"| {status} | {mark(info.completed)} | {mark(info.incomplete)} "
            f"| {info.credit_status or ''} | {mark(info.email)} | {mark(info.cascades)} |"
        )
    lines += [
        "",
        "## Illegal moves",
        "",
        "Every move not listed here is legal. A move to `timed_out` is first turned into",
        "`submitted` unless the provider's `ALLOW_TIMED_OUT_STATE` allows it (default: only",
        "from `created`); a move to the status the attempt already has changes nothing.",
        "",
        "| from | illegal targets |",
        "| --- | --- |",
    ]
    for source in AttemptStatus:
        illegal = [t.value for t in AttemptStatus if not is_transition_legal(source, t)]
        if illegal:
            lines.append(f"| {source} | {', '.join(illegal)} |")
    return "\n".join(lines) + "\n"
