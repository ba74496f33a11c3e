"""Health: /health/live answers without the database; /health/ready checks the database, the
migrations, the broker (Celery mode) and the jobs' last successes, each failure a 503 in the
error shape with the failed checks listed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder

from proctoring.ops import health
from proctoring.ops.jobruns import job_heartbeat_write
from tests.attempts.conftest import T0


def _refuse_every_statement(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def _not_ready(response) -> dict:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "not_ready"
    assert set(body) == {"detail", "code", "fields"}
    return body


@pytest.fixture
def recent_expiry_run(db, clock):
    """The expiry job succeeded a moment ago."""
    job_heartbeat_write("expiry", seconds=0.1, error=None)


def test_live_answers_without_the_database(client):
    """No database access is allowed in this test: the probe needs none."""
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_ready_answers_200_when_every_check_passes(client, recent_expiry_run):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "jobs": "ok"},
    }


def test_ready_is_503_when_the_database_fails(client, recent_expiry_run):
    """Every statement fails as in an outage: the database check fails, and the checks that
    need the database are not run."""
    with connection.execute_wrapper(_refuse_every_statement):
        response = client.get("/health/ready")
    body = _not_ready(response)
    assert list(body["fields"]) == ["database"]
    assert "cannot be reached" in body["fields"]["database"][0]
    assert body["detail"] == "Not ready: database failed."


def test_ready_is_503_when_a_migration_is_not_applied(client, recent_expiry_run):
    MigrationRecorder.Migration.objects.filter(app="ops", name="0001_initial").delete()
    body = _not_ready(client.get("/health/ready"))
    assert list(body["fields"]) == ["migrations"]
    assert "ops.0001_initial" in body["fields"]["migrations"][0]


def test_ready_is_503_when_the_celery_broker_cannot_be_reached(client, recent_expiry_run, settings):
    settings.PROCTORING_JOBS = "celery"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    body = _not_ready(client.get("/health/ready"))
    assert list(body["fields"]) == ["broker"]
    assert "broker cannot be reached" in body["fields"]["broker"][0]


def test_ready_checks_the_broker_only_in_the_celery_mode(client, recent_expiry_run, settings):
    settings.PROCTORING_JOBS = "celery"
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"] == "ok"


def test_ready_is_503_when_the_expiry_job_last_succeeded_too_long_ago(client, db, clock, settings):
    """Interval 30 s, three intervals allowed: a success 91 s ago is too old, 89 s is not."""
    settings.PROCTORING_EXPIRY_INTERVAL_SECONDS = 30
    settings.PROCTORING_READY_JOB_INTERVALS = 3
    job_heartbeat_write("expiry", seconds=0.1, error=None)
    clock.advance(seconds=89)
    assert client.get("/health/ready").status_code == 200
    clock.advance(seconds=2)
    body = _not_ready(client.get("/health/ready"))
    assert list(body["fields"]) == ["jobs"]
    assert body["fields"]["jobs"][0].startswith(
        "The expiry job last succeeded at 2026-05-04T09:15:27Z (allowed: 0:01:30)"
    )


def test_a_failed_run_does_not_count_as_a_success(client, db, clock, settings):
    settings.PROCTORING_EXPIRY_INTERVAL_SECONDS = 30
    job_heartbeat_write("expiry", seconds=0.1, error=None)
    clock.advance(seconds=100)
    job_heartbeat_write("expiry", seconds=0.1, error=RuntimeError("database down"))
    assert "jobs" in _not_ready(client.get("/health/ready"))["fields"]


def test_a_job_that_never_ran_is_late_once_the_process_is_up_for_three_intervals(
    client, db, clock, settings, monkeypatch
):
    settings.PROCTORING_EXPIRY_INTERVAL_SECONDS = 30
    settings.PROCTORING_OUTBOX_INTERVAL_SECONDS = 30
    monkeypatch.setattr(health, "PROCESS_STARTED", T0 - timedelta(seconds=60))
    assert client.get("/health/ready").status_code == 200
    monkeypatch.setattr(health, "PROCESS_STARTED", T0 - timedelta(seconds=91))
    body = _not_ready(client.get("/health/ready"))
    assert "expiry job last succeeded never" in body["fields"]["jobs"][0]


def test_the_jobs_check_is_off_with_zero_intervals(client, db, clock, settings, monkeypatch):
    settings.PROCTORING_READY_JOB_INTERVALS = 0
    monkeypatch.setattr(health, "PROCESS_STARTED", T0 - timedelta(days=1))
    assert client.get("/health/ready").status_code == 200
