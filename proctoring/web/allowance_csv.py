"""Allowances for many learners from a CSV file: each row checked (a preview with per-row
errors), then the valid rows granted through the allowances' bulk service.

The columns: ``username``, ``exam`` (the exam's id or content id), ``key``, ``value``; a first
row naming the columns is skipped.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from proctoring.allowances.services import (
    MAX_BULK_ITEMS,
    BulkGrantResult,
    allowance_grant_bulk,
    allowance_value_clean,
)
from proctoring.exams.models import Exam
from proctoring.exceptions import InvalidAllowance

COLUMNS = ("username", "exam", "key", "value")


@dataclass
class CsvRow:
    line: int
    username: str
    exam: str
    key: str
    value: str
    exam_id: int | None = None
    error: str = ""


def _rows(text: str) -> list[CsvRow]:
    rows = []
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not any(cell.strip() for cell in cells):
            continue
        cells = [cell.strip() for cell in cells]
        if line == 1 and [c.lower() for c in cells[:4]] == list(COLUMNS):
            continue  # the header
        username, exam, key, value = (cells + [""] * 4)[:4]
        row = CsvRow(line=line, username=username, exam=exam, key=key, value=value)
        if len(cells) != len(COLUMNS):
            row.error = f"A row has {len(COLUMNS)} columns: {', '.join(COLUMNS)}."
        rows.append(row)
    return rows


def allowance_csv_check(*, course_id: str, text: str, actor_id: int | None) -> list[CsvRow]:
    """The file's rows, each with its exam and value checked, or why it cannot be granted
    (two statements: the course's exams and the named users)."""
    rows = _rows(text)
    if len(rows) > MAX_BULK_ITEMS:
        raise InvalidAllowance(f"A file holds at most {MAX_BULK_ITEMS} rows.")
    exams = list(Exam.objects.filter(course_id=course_id).values_list("pk", "content_id"))
    by_ref = {str(pk): pk for pk, _ in exams} | {content: pk for pk, content in exams}
    users = dict(
        get_user_model()
        .objects.filter(username__in={row.username for row in rows})
        .values_list("username", "pk")
    )
    for row in rows:
        if row.error:
            continue
        row.exam_id = by_ref.get(row.exam)
        if row.exam_id is None:
            row.error = f"There is no exam {row.exam!r} in this course."
        elif row.username not in users:
            row.error = f"There is no user {row.username!r}."
        elif users[row.username] == actor_id:
            row.error = "Nobody grants themselves an allowance."
        else:
            try:
                row.value = allowance_value_clean(key=row.key, value=row.value)
            except InvalidAllowance as exc:
                row.error = exc.message
    return rows


def allowance_csv_grant(
    *, course_id: str, rows: list[CsvRow], actor_id: int | None
) -> list[BulkGrantResult]:
    """Grant the valid rows: one bulk grant per (exam, key, value)."""
    groups: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for row in rows:
        if not row.error and row.exam_id is not None:
            groups[(row.exam_id, row.key, row.value)].append(row.username)
    results: list[BulkGrantResult] = []
    for (exam_id, key, value), usernames in groups.items():
        results += allowance_grant_bulk(
            course_id=course_id,
            exam_ids=[exam_id],
            usernames=usernames,
            key=key,
            value=value,
            actor_id=actor_id,
        )
    return results
