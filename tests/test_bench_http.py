"""scripts/bench_http.py end to end, tiny: gunicorn on the test database, a few clients."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from proctoring.attempts.models import Attempt

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_http.py"
LEARNERS, THREADS, REQUESTS = 3, 2, 5

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite" and connection.settings_dict["NAME"] == ":memory:",
    reason="the server needs the test database in a file",
)


def _database_url():
    """The URL of the test database, for the bench's own Django and its server."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def _bench(tmp_path, *extra):
    output = tmp_path / "http.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--database-url",
            _database_url(),
            "--learners",
            str(LEARNERS),
            "--threads",
            str(THREADS),
            "--requests",
            str(REQUESTS),
            "--time-cap",
            "60",
            "--output",
            str(output),
            *extra,
        ],
        env={**os.environ, "PROCTORING_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, output


def test_bench_http_end_to_end(transactional_db, tmp_path):
    done, output = _bench(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert json.loads(output.read_text(encoding="utf-8")) == report
    assert report["ok"] is True and report["failures"] == []
    assert not (tmp_path / "http.gunicorn.log").exists()  # kept only when the bench fails
    assert report["vendor"] == connection.vendor
    assert report["server"]["gunicorn_workers"] == 2
    poll, change = report["operations"]["poll"], report["operations"]["status_change"]
    assert poll["requests"] == poll["ok"] == THREADS * REQUESTS
    assert change["requests"] == change["ok"] == LEARNERS
    for row in (poll, change):
        assert row["errors"] == 0
        assert row["responses_without_query_count"] == 0
        assert row["requests_per_second"] > 0
        assert 0 < row["latency_ms"]["p50"] <= row["latency_ms"]["p95"] <= row["latency_ms"]["max"]
        assert row["queries_per_request"]["min"] >= 1
    assert poll["queries_per_request"]["max"] <= report["budgets"]["poll_queries_max"] == 3
    # Each attempt was polled while started, then submitted once.
    mine = Attempt.objects.filter(exam__course__course_id__startswith="course-v1:bench-http-")
    assert sorted(mine.values_list("status", flat=True)) == ["submitted"] * LEARNERS


def test_bench_http_fails_when_a_budget_is_exceeded(transactional_db, tmp_path):
    done, output = _bench(tmp_path, "--max-poll-queries", "0")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["ok"] is False
    assert any("poll" in failure and "budget" in failure for failure in report["failures"])
    assert "bench_http failed" in done.stderr
    assert (tmp_path / "http.gunicorn.log").exists()
