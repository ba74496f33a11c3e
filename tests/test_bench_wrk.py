"""scripts/bench_wrk.py end to end, tiny: gunicorn on the test database, wrk for a second a
phase, a few attempts a write."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from proctoring.attempts.models import Attempt
from tests.test_bench_http import _database_url

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_wrk.py"
WRITES = 12
PHASES = ["floor_read", "poll", "staff_page", "floor_write", "start", "submit", "verify", "reject"]
RATE = 20  # the poll at a set rate, requests per second

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite" and connection.settings_dict["NAME"] == ":memory:",
        reason="the server needs the test database in a file",
    ),
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get)"),
]


def _bench(tmp_path, *extra):
    output = tmp_path / "wrk.json"
    done = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--database-url", _database_url()),
            *(
                "--learners",
                "3",
                "--write-attempts",
                str(WRITES),
                "--duration",
                "1",
                "--rounds",
                "1",
            ),
            *("--connections", "2", "--wrk-threads", "1", "--poll-rate", str(RATE)),
            *("--output", str(output), *extra),
        ],
        env={**os.environ, "PROCTORING_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done, output


def test_bench_wrk_end_to_end(transactional_db, tmp_path):
    done, output = _bench(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert json.loads(output.read_text(encoding="utf-8")) == report
    assert report["ok"] is True and report["failures"] == []
    assert list(report["phases"]) == [*PHASES, "poll_at_rate"]
    at_rate = report["phases"].pop("poll_at_rate")
    assert at_rate["target_requests_per_second"] == RATE
    assert 0 < at_rate["requests_per_second"] <= 1.5 * RATE  # held back by wrk's delay()
    assert at_rate["queries_per_request"]["max"] == 1
    for name, phase in report["phases"].items():
        assert phase["ok"] > 0, name
        assert set(phase["status_codes"]) <= {"200"}, name
        assert phase["responses_without_query_count"] == 0, name
        assert 0 < phase["latency_ms"]["p50"] <= phase["latency_ms"]["p99"], name
        assert phase["ratio_to_floor"] > 0, name
        cpu = phase["cpu_ms_per_answer"]  # read in clock ticks (10 ms): 0 in a short run
        assert min(cpu["server"], cpu["database"], cpu["load"]) >= 0, name
        assert 0 <= cpu["idle_share"] < 1, name
    # Over every phase, the server served the answers, wrk asked for them, and PostgreSQL ran
    # their statements (every postgres process of the machine counts: on SQLite, the other
    # suite's, which make test runs beside this one, may too).
    spent = {
        key: sum(
            phase["cpu_ms_per_answer"][key] * phase["ok"] for phase in report["phases"].values()
        )
        for key in ("server", "database", "load")
    }
    assert spent["server"] > 0 and spent["load"] > 0, spent
    assert spent["database"] > 0 or connection.vendor == "sqlite", spent
    phases = report["phases"]
    assert phases["floor_read"]["queries_per_request"]["max"] == 1
    assert phases["poll"]["queries_per_request"]["max"] == 1  # authentication included
    begin = 1 if connection.vendor == "sqlite" else 0  # SQLite's BEGIN IMMEDIATE is counted
    assert phases["floor_write"]["queries_per_request"]["max"] == 3 + begin  # and the commit
    for name in ("start", "submit", "verify", "reject"):
        assert phases[name]["ok"] <= WRITES  # each attempt changed once
    mine = Attempt.objects.filter(exam__course__course_id__startswith="course-v1:bench-wrk-")
    statuses = list(mine.values_list("status", flat=True))
    # A thread that ran out stops without reading what was in flight: up to a connection's
    # worth of writes are done but not counted.
    for status, name in (("verified", "verify"), ("rejected", "reject")):
        assert phases[name]["ok"] <= statuses.count(status) <= phases[name]["ok"] + 2
    assert "| poll |" in report["table"]
    assert phases["floor_write"]["runs"] == 5  # before, between and after the four writes
    assert [run["ratio_to_floor"] for run in phases["floor_read"]["each_run"]] == [1.0]
    # wrk's connections shared out over gunicorn's workers, one each here: a worker left to
    # gunicorn's 1,000 could take them all and the run would measure one core.
    assert report["server"]["worker_connections"] == 1


def test_each_run_is_compared_with_the_floor_beside_it():
    sys.path.insert(0, str(SCRIPT.parent))
    import bench_wrk

    order = bench_wrk.schedule(2)
    assert order[:3] == ["floor_read", "poll", "staff_page"] and order[3] == "floor_read"
    assert order[6:] == [
        *("floor_write", "start", "floor_write", "submit", "floor_write"),
        *("verify", "floor_write", "reject", "floor_write"),
    ]
    runs = [{"requests_per_second": float(rate)} for rate in range(1, len(order) + 1)]
    ratios = bench_wrk.run_ratios(order, runs)
    assert ratios[1] == 2.0  # the poll of round 1 (2/s) over its floor (1/s)
    assert ratios[4] == 5 / 4  # round 2's poll over round 2's floor
    assert ratios[7] == 8 / ((7 + 9) / 2)  # start over the mean of the floors around it


def test_bench_wrk_refuses_bad_options(tmp_path):
    done, _ = _bench(tmp_path, "--connections", "0")
    assert done.returncode == 2
    assert "--connections must be at least 1" in done.stderr


def test_cpu_use_reads_proc_and_shares_per_answer():
    sys.path.insert(0, str(SCRIPT.parent))
    import cpu_use

    # A command may hold spaces and parentheses: the fields are read after its last ")".
    line = "4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 1 0 0 0 250 150 0 0 20 0 1 0"
    ticks = cpu_use._ticks_per_second()
    assert cpu_use._process_seconds(line) == (17, "my (odd) name", 400 / ticks)
    # Process 8 ended between the readings (its time is not known), 9 started (all of it).
    before = cpu_use.Taken({1: 1.0}, {7: 2.0, 8: 5.0}, 0.5, machine_busy=10, machine_all=20)
    after = cpu_use.Taken({1: 2.0}, {7: 2.25, 9: 0.25}, 0.7, machine_busy=13, machine_all=24)
    assert cpu_use.cpu_spent(before, after, 1000) == {
        "server": 1.0,
        "database": 0.5,
        "load": 0.2,
        "idle_share": 0.25,
    }
    assert cpu_use.cpu_spent(None, after, 10)["server"] is None
    assert cpu_use.cpu_spent(before, after, 0)["idle_share"] is None
    # This process's own pid counts as "the server": its CPU is above zero.
    taken = cpu_use.cpu_taken(os.getpid())
    assert taken is not None and taken.server[os.getpid()] > 0
    assert taken.machine_all > taken.machine_busy


def test_a_process_cpu_is_read_by_its_pid_and_none_for_no_such_process():
    sys.path.insert(0, str(SCRIPT.parent))
    import cpu_use

    assert cpu_use.process_seconds(os.getpid()) > 0
    assert cpu_use.process_seconds(2**22 + 12345) is None  # above Linux's largest pid


@pytest.mark.django_db
def test_the_world_gets_the_planners_statistics_before_the_runs():
    """On PostgreSQL the bench ANALYZEs what it wrote (a new table's statistics say it is
    empty until autovacuum comes); SQLite has nothing to refresh."""
    from django.test.utils import CaptureQueriesContext

    from proctoring.attempts.services import attempt_create
    from tests.factories import ExamFactory, UserFactory

    sys.path.insert(0, str(SCRIPT.parent))
    import bench_wrk

    exam = ExamFactory()
    for user in UserFactory.create_batch(30):
        attempt_create(exam_id=exam.pk, user_id=user.pk)

    def rows_planned():
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'attempts_attempt'")
            return cursor.fetchone()[0]

    before = rows_planned() if connection.vendor == "postgresql" else None
    with CaptureQueriesContext(connection) as queries:
        bench_wrk.statistics_refresh(connection)
    if connection.vendor == "postgresql":
        assert before < 30 and rows_planned() >= 30
        assert [q["sql"] for q in queries.captured_queries] == ["ANALYZE"]
    else:
        assert queries.captured_queries == []
