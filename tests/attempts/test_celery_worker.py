"""The scaled mode's background job: the Celery task, and a real worker with beat that expires
an overdue attempt on its own, against the machine's Redis or RabbitMQ and the test database."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.attempts.tasks import expire_attempts
from tests.factories import ExamFactory, UserFactory

BROKER_URL = "redis://127.0.0.1:6379/5"  # a database of its own, flushed by the test
BROKERS = {"redis": BROKER_URL, "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
WAIT_SECONDS = 60
ROOT = Path(django_settings.BASE_DIR)


def start(exam, user) -> Attempt:
    attempt_create(exam_id=exam.pk, user_id=user.pk)
    attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
    return Attempt.objects.get(exam=exam, user=user, archived_at__isnull=True)


@pytest.mark.django_db
def test_the_task_expires_the_overdue_attempts_and_returns_how_many(exam, learner, settings):
    """Called directly, the task runs the expiry job and returns the count."""
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 5
    moment = datetime(2026, 5, 4, 9, 15, 27, 345678, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        attempt = start(exam, learner)
    with mock.patch("django.utils.timezone.now", return_value=attempt.deadline_at):
        assert expire_attempts() == 0
    late = attempt.deadline_at + timedelta(seconds=6)
    with mock.patch("django.utils.timezone.now", return_value=late):
        assert expire_attempts() == 1
        assert expire_attempts() == 0
    stored = Attempt.objects.get(pk=attempt.pk)
    assert stored.status == "submitted"
    assert stored.completed_at == attempt.deadline_at


def test_the_task_is_registered_under_its_public_name_and_scheduled_by_beat():
    """Beat sends the task by name every PROCTORING_EXPIRY_INTERVAL_SECONDS."""
    from proctoring.celery import app

    app.finalize()
    assert "proctoring.attempts.tasks.expire_attempts" in app.tasks
    [entry] = [
        entry
        for entry in app.conf.beat_schedule.values()
        if entry["task"] == "proctoring.attempts.tasks.expire_attempts"
    ]
    assert float(entry["schedule"]) == float(django_settings.PROCTORING_EXPIRY_INTERVAL_SECONDS)


def broker_or_skip(url: str) -> None:
    """Empty the broker's queue; skip without the broker, except on CI (there it fails)."""
    from kombu import Connection

    with Connection(url, connect_timeout=3) as broker:
        try:
            broker.ensure_connection(max_retries=1)
        except Exception as exc:  # kombu raises the transport's own errors
            if os.environ.get("CI") == "true":
                pytest.fail(f"the broker at {url} is unreachable on CI: {exc}")
            pytest.skip(f"the broker at {url} is unreachable: {exc}")
        if url.startswith("redis://"):
            broker.default_channel.client.flushdb()
            return
        with contextlib.suppress(Exception):  # no queue yet: nothing to purge
            broker.default_channel.queue_purge("celery")


@pytest.fixture
def brokers_to_ourselves() -> Iterator[None]:
    """The brokers are the machine's, shared by the SQLite and PostgreSQL runs of ``make test``,
    which run side by side: one run's worker at a time, or its beat could send our task to the
    other's worker (and each flushes the queue it starts from). A file lock takes turns."""
    path = Path(tempfile.gettempdir()) / "proctoring-tests-brokers.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def worker_database_url() -> str:
    """The test database, as a DATABASE_URL the worker's settings read."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(database["NAME"])
        if name.startswith(":memory:") or name.startswith("file:"):
            pytest.skip("a worker process cannot share an in-memory SQLite database")
        return "sqlite:///" + str(Path(name).resolve())
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(database["USER"] or "", safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(database['NAME'], safe='')}"


def stop_worker(worker: subprocess.Popen) -> None:
    """Warm shutdown, then a kill if it does not stop in time; always waited for."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_celery_worker_with_beat_expires_an_overdue_attempt_at_its_deadline(
    tmp_path, course, broker, brokers_to_ourselves
):
    """A real worker with embedded beat (interval 1 s) against Redis or RabbitMQ and the test
    database: the overdue attempt ends completed at its deadline, the attempt still in time is
    left alone."""
    broker_url = BROKERS[broker]
    broker_or_skip(broker_url)
    celery = Path(sys.executable).with_name("celery")
    assert celery.exists(), f"no celery next to {sys.executable}"

    exam = ExamFactory(course=course, time_limit_mins=30)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=two_hours_ago):
        overdue = start(exam, UserFactory(username="overdue"))
    in_time = start(exam, UserFactory(username="in-time"))
    assert overdue.deadline_at < datetime.now(UTC) - timedelta(hours=1)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proctoring.settings",
        "DATABASE_URL": worker_database_url(),
        "PROCTORING_DATA_DIR": str(tmp_path / "data"),
        "PROCTORING_JOBS": "celery",
        "PROCTORING_EXPIRY_INTERVAL_SECONDS": "1",
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [
                str(celery),
                "-A",
                "proctoring",
                "worker",
                "-B",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
                "-s",
                str(tmp_path / "beat-schedule"),
                "--hostname",
                f"proctoring-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            limit = time.monotonic() + WAIT_SECONDS
            stored = Attempt.objects.get(pk=overdue.pk)
            while stored.status == "started" and time.monotonic() < limit:
                assert worker.poll() is None, log_path.read_text(errors="replace")
                time.sleep(0.5)
                stored = Attempt.objects.get(pk=overdue.pk)
        finally:
            stop_worker(worker)
            broker_or_skip(broker_url)
    output = log_path.read_text(errors="replace")
    assert stored.status == "submitted", output
    assert stored.completed_at == overdue.deadline_at
    history = AttemptHistory.objects.get(attempt=overdue, to_status="submitted")
    assert history.cause == "deadline"
    assert Attempt.objects.get(pk=in_time.pk).status == "started"
    assert "Sending due task expire overdue attempts" in output  # beat sent it
    assert "proctoring.attempts.tasks.expire_attempts" in output
