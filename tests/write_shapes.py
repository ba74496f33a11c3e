"""What a status change's writes look like on each database. On PostgreSQL one locked
attempt's ``UPDATE``, its history row and its event rows are one statement (a ``WITH``
clause, proctoring/core/inserts.py); on SQLite an ``UPDATE`` and two ``INSERT``s. Budget
tests pin their counts through these, so each says which database."""

from django.db import connection


def joined() -> bool:
    """Whether a change's writes are one statement here."""
    return connection.vendor == "postgresql"


def change_statements() -> int:
    """The statements of one locked attempt's change: 1 on PostgreSQL, 3 on SQLite."""
    return 1 if joined() else 3


def change_kinds() -> list[str]:
    """The statement kinds of one locked attempt's change after its lock: its UPDATE, history
    and events in one ``WITH`` on PostgreSQL; apart on SQLite."""
    return ["WITH"] if joined() else ["UPDATE", "INSERT", "INSERT"]
