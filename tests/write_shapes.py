"""What a status change's writes look like on each database: its history and event rows are
one statement on PostgreSQL (a ``WITH`` clause, proctoring/core/inserts.py), two ``INSERT``s
on SQLite. Budget tests pin their counts through these, so each says which database."""

from django.db import connection


def joined() -> bool:
    """Whether the history and event INSERTs are one statement here."""
    return connection.vendor == "postgresql"


def history_and_events() -> int:
    """The statements of a change's history and events: 1 on PostgreSQL, 2 on SQLite."""
    return 1 if joined() else 2


def change_kinds() -> list[str]:
    """The statement kinds of a status change after its lock: its UPDATE, then its history
    and events."""
    return ["UPDATE", "WITH"] if joined() else ["UPDATE", "INSERT", "INSERT"]
