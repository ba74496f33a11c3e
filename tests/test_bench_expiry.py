"""The expiry bench command: its JSON document, and the statements the expiry job makes."""

import json
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import COMPLETED_STATUSES
from tests.conftest import on_postgresql

ATTEMPTS = 30
BATCH_SIZE = 8  # 8 + 8 + 8 + 6: four batches, the last one not full
# A batch: its selection, then the UPDATE (all become submitted, each row's values in arrays
# on PostgreSQL), the history and event INSERTs: one statement on PostgreSQL
# (tests/write_shapes.py), so 2 statements there and 4 on SQLite.
QUERIES_PER_FULL_BATCH = 2 if on_postgresql() else 4


def _run(tmp_path, **options):
    out = StringIO()
    output = tmp_path / f"expiry-{options.get('batch_size')}.json"
    call_command("bench_expiry", attempts=ATTEMPTS, output=str(output), stdout=out, **options)
    document = json.loads(out.getvalue())
    assert json.loads(output.read_text(encoding="utf-8")) == document
    return document


@pytest.fixture
def report(transactional_db, tmp_path):
    return _run(tmp_path, batch_size=BATCH_SIZE)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_bench_expiry_reports_every_field(report):
    vendor = "postgresql" if on_postgresql() else "sqlite"
    assert report["benchmark"] == "attempts_expire_overdue"
    assert report["vendor"] == report["database"]["vendor"] == vendor
    assert report["database"]["version"]
    assert report["django"] and report["python"] and report["platform"]
    assert report["attempts"] == report["attempts_expired"] == ATTEMPTS
    assert report["exams"] == 4
    assert report["learners"] == math.ceil(ATTEMPTS / 4)
    assert report["batch_size"] == BATCH_SIZE
    assert report["batches"] == 4
    for key in (
        "setup_seconds",
        "seconds",
        "attempts_expired_per_second",
        "queries_total",
        "queries_per_attempt",
        "queries_per_batch",
        "data_queries_total",
        "selection_queries",
        "transaction_statements",
    ):
        assert _is_number(report[key]), key
        assert math.isfinite(report[key]), key
    assert report["seconds"] > 0
    assert report["attempts_expired_per_second"] > 0
    assert report["queries_total"] == sum(report["queries_by_kind"].values())
    assert report["queries_per_attempt"] == round(report["queries_total"] / ATTEMPTS, 3)
    assert sum(report["final_statuses"].values()) == ATTEMPTS
    assert set(report["final_statuses"]) <= {str(status) for status in COMPLETED_STATUSES}
    assert report["notes"]


def test_every_attempt_made_ended_completed(report):
    prefix = "course-v1:bench-expiry-"
    mine = Attempt.objects.filter(exam__course__course_id__startswith=prefix)
    assert mine.count() == ATTEMPTS
    assert set(mine.values_list("status", flat=True)) <= COMPLETED_STATUSES
    assert not mine.filter(completed_at__isnull=True).exists()
    # The job records each deadline as the completion time.
    for attempt in mine:
        assert attempt.completed_at == attempt.deadline_at


def test_the_selection_is_one_query_per_batch(report):
    assert report["selection_queries"] == report["batches"] == 4
    expected_skip_locked = report["batches"] if on_postgresql() else 0
    assert report["selection_queries_skip_locked"] == expected_skip_locked


def test_the_job_makes_the_same_statements_per_batch_whatever_its_size(report, tmp_path):
    """Each batch that expires attempts costs a fixed number of statements, however many
    attempts it holds; the last, empty batch is its selection alone. On SQLite each batch
    also sends its BEGIN IMMEDIATE (on PostgreSQL psycopg sends BEGIN itself, unseen)."""
    begin = 0 if on_postgresql() else 1
    full = QUERIES_PER_FULL_BATCH + begin
    assert report["batches"] == 4  # 8 + 8 + 8 + 6 attempts, all non-empty
    assert report["queries_total"] == 4 * full
    # One batch of all 30 and an empty one: the same statements as one batch of 8.
    again = _run(tmp_path, batch_size=ATTEMPTS + 1)
    assert again["batches"] == again["selection_queries"] == 1
    assert again["queries_total"] == full


@pytest.mark.parametrize("option", [{"attempts": 0}, {"exams": 0}, {"batch_size": 0}])
def test_bench_expiry_refuses_sizes_below_one(db, option):
    options = {"attempts": 1, **option}
    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench_expiry", stdout=StringIO(), **options)
