"""scripts/bench_surge.py end to end, tiny: 5 learners start in 2 s, poll each second, submit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from proctoring.attempts.models import Attempt
from tests.test_bench_http import _database_url

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_surge.py"
LEARNERS = 5
POLLS = 2  # at 1 s and 2 s of a 3 s exam; the submit at 3 s

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite" and connection.settings_dict["NAME"] == ":memory:",
    reason="the server needs the test database in a file",
)


def _surge(tmp_path, *extra):
    output = tmp_path / "surge.json"
    done = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--database-url", _database_url()),
            *("--learners", str(LEARNERS), "--start-window", "2", "--exam-seconds", "3"),
            *("--poll-interval", "1", "--threads", "3", "--output", str(output)),
            *extra,
        ],
        env={**os.environ, "PROCTORING_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, output


def test_bench_surge_starts_polls_and_submits_every_learner(transactional_db, tmp_path):
    """Each learner starts once (its first request, enrolled by its token), polls twice, and
    submits; every answer is a 2xx, and the report counts them per operation."""
    done, output = _surge(tmp_path, "--time-cap", "60")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert json.loads(output.read_text(encoding="utf-8")) == report
    assert report["ok"] is True and report["failures"] == []
    assert not (tmp_path / "surge.gunicorn.log").exists()  # kept only when the bench fails
    assert report["vendor"] == connection.vendor
    assert report["workload"]["polls_per_learner"] == POLLS
    expected = {"start": LEARNERS, "poll": LEARNERS * POLLS, "submit": LEARNERS}
    for name, count in expected.items():
        row = report["operations"][name]
        assert row["requests"] == row["ok"] == row["expected"] == count, name
        assert row["errors"] == 0 and row["responses_without_query_count"] == 0
        assert row["requests_per_second"] > 0
        assert 0 < row["latency_ms"]["p50"] <= row["latency_ms"]["p99"] <= row["latency_ms"]["max"]
        assert row["queries_per_request"]["min"] >= 1
    assert report["operations"]["start"]["status_codes"] == {"201": LEARNERS}
    assert report["run"]["ok"] == report["run"]["requests"] == LEARNERS * (POLLS + 2)
    assert report["run"]["errors"] == 0 and report["run"]["requests_per_second"] > 0
    assert report["run"]["seconds"] >= 3  # each learner's exam lasted its 3 s
    mine = Attempt.objects.filter(exam__course__course_id__startswith="course-v1:bench-surge-")
    assert sorted(mine.values_list("status", flat=True)) == ["submitted"] * LEARNERS


def test_bench_surge_fails_when_the_time_cap_stops_it(transactional_db, tmp_path):
    """A time cap shorter than the exam stops the run: exit 1, the JSON says why, and the
    attempts left running are reported."""
    done, output = _surge(tmp_path, "--time-cap", "1.5")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["ok"] is False
    assert any("time cap" in failure for failure in report["failures"])
    assert any("attempts submitted" in failure for failure in report["failures"])
    assert "bench_surge failed" in done.stderr
    assert (tmp_path / "surge.gunicorn.log").exists()
