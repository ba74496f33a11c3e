"""Job runs are recorded wherever they run: the in-process runner and the Celery task write
the job's last success (or failure) in the database, where every process reads it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from proctoring.attempts.tasks import expire_attempts
from proctoring.jobs import JOBS, Job, JobRunner
from proctoring.ops.jobruns import job_run_record
from proctoring.ops.models import JobHeartbeat
from tests.attempts.conftest import T0


def broken_job() -> int:
    raise RuntimeError("the broker is gone")


@pytest.mark.django_db(transaction=True)
def test_the_in_process_runner_records_the_last_success_of_each_job(clock):
    JobRunner(interval=1).run_once()
    heartbeat = JobHeartbeat.objects.get(job="expiry")
    assert heartbeat.last_success_at == T0
    assert heartbeat.last_failure_at is None
    assert heartbeat.last_duration_seconds >= 0


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_records_the_failure_and_keeps_the_last_success(clock):
    job = Job("flaky", "flaky", "flaky.task", "tests.ops.test_jobruns.broken_job", "DEBUG")
    job_run_record("flaky", seconds=0.2)
    clock.advance(minutes=1)
    JobRunner(interval=1, jobs=(job,)).run_once()
    heartbeat = JobHeartbeat.objects.get(job="flaky")
    assert heartbeat.last_success_at == T0
    assert heartbeat.last_failure_at == T0 + timedelta(minutes=1)
    assert heartbeat.last_error == "RuntimeError: the broker is gone"


@pytest.mark.django_db
def test_the_celery_task_records_its_run(clock):
    """The expiry task run by Celery (eagerly here: the same signals as in a worker)."""
    assert JOBS[0].task == expire_attempts.name
    expire_attempts.apply()
    assert JobHeartbeat.objects.get(job="expiry").last_success_at == T0


@pytest.mark.django_db
def test_a_failing_celery_task_records_a_failure(clock, monkeypatch):
    def fail() -> int:
        raise RuntimeError("lock timeout")

    monkeypatch.setattr("proctoring.attempts.tasks.attempts_expire", fail)
    expire_attempts.apply()
    heartbeat = JobHeartbeat.objects.get(job="expiry")
    assert heartbeat.last_success_at is None
    assert heartbeat.last_error == "RuntimeError: lock timeout"


@pytest.mark.django_db
def test_recording_a_run_survives_a_database_outage(clock):
    """The heartbeat cannot be written: the runner goes on (the run's own error is logged)."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("down")

    with connection.execute_wrapper(refuse):
        job_run_record("expiry", seconds=0.1)
    assert not JobHeartbeat.objects.filter(job="expiry").exists()


@pytest.mark.django_db
def test_run_jobs_runs_each_job_once_and_records_it_for_cron(clock):
    out = StringIO()
    call_command("run_jobs", stdout=out)
    assert out.getvalue() == "The expiry job did 0.\nThe outbox job did 0.\n"
    assert JobHeartbeat.objects.get(job="expiry").last_success_at == T0


@pytest.mark.django_db
def test_run_jobs_fails_when_a_job_fails_and_records_the_failure(clock, monkeypatch):
    def fail() -> int:
        raise RuntimeError("lock timeout")

    monkeypatch.setattr("proctoring.attempts.expiry.attempts_expire", fail)
    with pytest.raises(CommandError, match="The expiry job failed: RuntimeError: lock timeout"):
        call_command("run_jobs", "--job", "expiry", stdout=StringIO())
    assert JobHeartbeat.objects.get(job="expiry").last_failure_at == T0
