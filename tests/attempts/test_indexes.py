"""The attempt table keeps no index that repeats another: every status change writes its
status, an indexed column, so the database adds an entry to each of its indexes."""

import pytest
from django.db import connection

from proctoring.attempts.models import Attempt

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Attempt._meta.db_table)
    return {name: info["columns"] for name, info in found.items() if info["index"]}


def test_no_index_of_one_column_repeats_the_lead_of_another():
    indexes = _indexes()
    leads = {tuple(columns[:1]) for columns in indexes.values() if len(columns) > 1}
    alone = [columns for columns in indexes.values() if len(columns) == 1]
    assert [columns for columns in alone if tuple(columns) in leads] == []
    assert indexes["attempt_external_id"] == ["external_id"]  # a provider's session id
    assert not any(name.endswith("_like") and "external_id" in name for name in indexes)


def test_the_lookups_by_exam_and_by_user_still_have_an_index():
    leads = {columns[0] for columns in _indexes().values()}
    assert {"exam_id", "user_id", "external_id", "deadline_at"} <= leads
