"""Faults on the machine's real services: the Celery broker down, an expiry worker killed in the
middle of a batch, the database connection of the expiry job killed in the middle of a batch.

Each: the client gets a quick answer (a 503 in the error shape, or the request works), the
service recovers without a restart, and no transition is lost or done twice. The brokers here
are the tests' own (a ``redis-server`` on a free port, a silent socket): the machine's shared
Redis and RabbitMQ are never touched. A database connection killed in the middle of a request
is tested in tests/rest/test_outage.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.statuses import AttemptStatus
from proctoring.devtools.management.commands.bench_expiry import Overdue
from proctoring.jobs import JobRunner, job_named
from proctoring.ops import health
from proctoring.ops.models import JobHeartbeat
from proctoring.outbox.models import Event
from tests.attempts.test_celery_worker import worker_database_url
from tests.conftest import on_postgresql
from tests.rest.conftest import client_for

WAIT_SECONDS = 30  # the bound of every wait of these tests
QUICK_SECONDS = health.BROKER_TIMEOUT_SECONDS + 1.5  # a failing readiness answer, at most
TIMED_OUT = {AttemptStatus.SUBMITTED, AttemptStatus.TIMED_OUT}  # what a time-out gives
STATUS_CHANGED = "attempt.status_changed"
ROOT = Path(django_settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(condition, *, what: str, seconds: float = WAIT_SECONDS, every: float = 0.05):
    limit = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < limit, f"waited {seconds}s for {what}"
        time.sleep(every)


class RedisBroker:
    """A ``redis-server`` of the test's own on a free port, without persistence: started,
    killed (SIGKILL, as a crash) and started again on the same port."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_until(self._answers, what="the test's redis-server to answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=WAIT_SECONDS)
        _wait_until(lambda: not self._answers(), what="the killed redis-server to be gone")


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisBroker]:
    binary = shutil.which("redis-server")
    if binary is None:  # on CI it must be there
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)("no redis-server")
    broker = RedisBroker(binary, tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture
def celery_mode(settings):
    """The Celery mode; the jobs' check off (no job runs here)."""
    settings.PROCTORING_JOBS = "celery"
    settings.PROCTORING_READY_JOB_INTERVALS = 0
    return settings


class Hung(BaseException):  # not an Exception: no handler of the service catches it
    """A call that took too long."""


@contextlib.contextmanager
def _bounded(seconds: float, what: str) -> Iterator[None]:
    """Interrupt the code inside (SIGALRM, main thread) when it takes longer than ``seconds``:
    a hang fails the test instead of hanging the suite."""

    def interrupt(signum, frame):
        raise Hung(f"{what} took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timed_ready(client):
    started = time.monotonic()
    with _bounded(WAIT_SECONDS, "/health/ready"):
        response = client.get("/health/ready")
    return response, time.monotonic() - started


def _assert_broker_not_ready(client) -> None:
    response, seconds = _timed_ready(client)
    assert seconds < QUICK_SECONDS, f"readiness took {seconds:.1f}s"
    assert response.status_code == 503, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["code"] == "not_ready"
    assert body["detail"] == "Not ready: broker failed."
    assert list(body["fields"]) == ["broker"]
    assert "broker cannot be reached" in body["fields"]["broker"][0]


def _assert_ready(client) -> None:
    response, _ = _timed_ready(client)
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks == dict.fromkeys(("database", "migrations", "broker", "jobs"), "ok")


@pytest.mark.django_db(transaction=True)
def test_a_killed_broker_fails_readiness_quickly_the_api_works_and_a_restart_recovers(
    world, client, own_redis, celery_mode
):
    """The learner's requests never need the broker: while it is down they still work, each
    change made once; readiness names the broker in a 503, then is 200 again as soon as the
    broker is back, without restarting anything."""
    celery_mode.CELERY_BROKER_URL = own_redis.url
    _assert_ready(client)
    learner = client_for(world, "learner")
    attempt_url = f"/api/v1/attempts/{world.attempt.pk}"

    own_redis.kill()
    _assert_broker_not_ready(client)
    assert learner.post(f"{attempt_url}/start").status_code == 200
    assert learner.get("/api/v1/attempts/active").status_code == 200
    _assert_broker_not_ready(client)
    assert learner.post(f"{attempt_url}/submit").json()["status"] == "submitted"

    own_redis.start()
    _assert_ready(client)
    assert learner.get(attempt_url).json()["status"] == "submitted"
    moves = AttemptHistory.objects.filter(attempt=world.attempt).order_by("id")
    assert [(row.from_status, row.to_status) for row in moves] == [
        ("", "created"),
        ("created", "started"),
        ("started", "submitted"),
    ]
    events = Event.objects.filter(attempt_id=world.attempt.pk, type=STATUS_CHANGED)
    to_statuses = [event.payload["to_status"] for event in events.order_by("id")]
    assert to_statuses == ["started", "submitted"]


@contextlib.contextmanager
def _silent_broker() -> Iterator[str]:
    """A socket that accepts connections and never answers: a stopped or black-holed broker."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)
        for conn in accepted:
            conn.close()
        server.close()


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["redis://{}/0", "amqp://guest:guest@{}//"])
def test_a_broker_that_never_answers_fails_readiness_within_the_timeout(
    client, celery_mode, scheme
):
    """Before the fix the Redis transport waited for the silent broker's answer forever: the
    probe hung. Every socket operation of the check is now bounded."""
    with _silent_broker() as address:
        celery_mode.CELERY_BROKER_URL = scheme.format(address)
        _assert_broker_not_ready(client)


ATTEMPTS = 2000
BATCH_SIZE = 20
# The child runs the expiry job slowly enough to be killed in the middle of a batch: it sleeps
# after each batch's UPDATE of the attempts, before their history rows and events are written.
CHILD = """
import time
import django
django.setup()
from django.db import connection
from proctoring.attempts.expiry import attempts_expire

def slow_after_update(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    # The batch's UPDATE: alone (SQLite), or first in its one statement (PostgreSQL).
    if sql.startswith(('UPDATE "attempts_attempt"', 'WITH u0 AS (UPDATE "attempts_attempt"')):
        print("updated", flush=True)
        time.sleep(0.05)
    return result

with connection.execute_wrapper(slow_after_update):
    attempts_expire(batch_size={batch_size})
print("finished", flush=True)
"""


def _overdue(count: int) -> list[int]:
    made = Overdue(prefix="faults", attempts=count, exams=4)
    made.create()
    return list(made.mine().order_by("id").values_list("pk", flat=True))


def _timed_out_count(ids: list[int]) -> int:
    return Attempt.objects.filter(pk__in=ids).exclude(status=AttemptStatus.STARTED).count()


def _assert_none_half_moved(ids: list[int]) -> None:
    """Every attempt that left ``started`` has exactly one time-out history row and one event;
    every attempt still started has neither."""
    moved = set(
        Attempt.objects.filter(pk__in=ids)
        .exclude(status=AttemptStatus.STARTED)
        .values_list("pk", flat=True)
    )
    history = Counter(
        AttemptHistory.objects.filter(
            attempt_id__in=ids, from_status=AttemptStatus.STARTED
        ).values_list("attempt_id", flat=True)
    )
    events = Counter(
        Event.objects.filter(attempt_id__in=ids, type=STATUS_CHANGED)
        .exclude(payload__to_status=AttemptStatus.STARTED)
        .values_list("attempt_id", flat=True)
    )
    assert set(history) == moved
    assert set(events) == moved
    assert set(history.values()) <= {1}
    assert set(events.values()) <= {1}


def _assert_all_timed_out_once(ids: list[int]) -> None:
    attempts = list(Attempt.objects.filter(pk__in=ids))
    assert len(attempts) == len(ids)
    assert {attempt.status for attempt in attempts} <= TIMED_OUT
    assert all(attempt.completed_at == attempt.deadline_at for attempt in attempts)
    rows = AttemptHistory.objects.filter(attempt_id__in=ids, from_status=AttemptStatus.STARTED)
    assert rows.count() == len(ids)
    assert set(rows.values_list("cause", flat=True)) == {"deadline"}
    _assert_none_half_moved(ids)
    events = Event.objects.filter(attempt_id__in=ids, type=STATUS_CHANGED)
    assert events.count() == len(ids)


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgresql(), reason="a second process shares the test database")
@pytest.mark.django_db(transaction=True)
def test_an_expiry_worker_killed_mid_batch_loses_nothing_and_the_next_run_finishes(tmp_path):
    """A separate process runs the expiry job in batches of 20 and is killed (SIGKILL) once
    some batches have committed, most likely after a batch's UPDATE and before its commit
    (on SQLite before its history rows; on PostgreSQL they are one statement): the open batch
    rolls back whole, and the next run times out the rest, each attempt once."""
    ids = _overdue(ATTEMPTS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proctoring.settings",
        "DATABASE_URL": worker_database_url(),
        "PROCTORING_DATA_DIR": str(tmp_path / "data"),
        "PROCTORING_JOBS": "off",
        "PYTHONUNBUFFERED": "1",
    }
    code = CHILD.format(batch_size=BATCH_SIZE)
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        updates = 0
        limit = time.monotonic() + WAIT_SECONDS
        while updates < 4 and time.monotonic() < limit:  # three batches committed, one open
            line = child.stdout.readline()
            assert line, f"the job ended early ({child.wait(WAIT_SECONDS)})"
            updates += line.strip() == "updated"
        assert updates == 4
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=WAIT_SECONDS)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=WAIT_SECONDS)
        if child.stdout is not None:
            child.stdout.close()

    # PostgreSQL ends the killed process's session and rolls its open batch back.
    _wait_until(lambda: _timed_out_count(ids) % BATCH_SIZE == 0, what="the open batch's rollback")
    done = _timed_out_count(ids)
    assert 0 < done < ATTEMPTS
    _assert_none_half_moved(ids)

    runner = JobRunner(jobs=(job_named("expiry"),))
    assert runner.run_once() == ATTEMPTS - done
    _assert_all_timed_out_once(ids)
    assert runner.run_once() == 0


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgresql(), reason="pg_terminate_backend is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_expiry_jobs_connection_killed_mid_batch_rolls_the_batch_back_and_a_rerun_finishes(
    settings,
):
    """The database ends the job's session (pg_terminate_backend) after its second batch's
    UPDATE (with its history rows and events, one statement) and before its commit: the run
    fails and is recorded as failed, the first batch stays, the second is rolled back whole,
    and the runner's next run, on a new connection, finishes the work."""
    settings.PROCTORING_EXPIRY_BATCH_SIZE = BATCH_SIZE
    ids = _overdue(3 * BATCH_SIZE)
    killer = connection.get_new_connection(connection.get_connection_params())
    killer.autocommit = True
    updates = []

    def terminate_after_second_update(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('WITH u0 AS (UPDATE "attempts_attempt"'):  # the batch's writes
            updates.append(sql)
            if len(updates) == 2:
                with killer.cursor() as cursor:
                    pid = connection.connection.info.backend_pid
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        return result

    runner = JobRunner(jobs=(job_named("expiry"),))
    try:
        with connection.execute_wrapper(terminate_after_second_update):
            assert runner.run_once() == 0  # the failed run is logged, not raised
    finally:
        killer.close()
    assert len(updates) == 2
    heartbeat = JobHeartbeat.objects.get(job="expiry")
    assert heartbeat.last_failure_at is not None
    assert heartbeat.last_success_at is None
    assert _timed_out_count(ids) == BATCH_SIZE
    _assert_none_half_moved(ids)

    assert runner.run_once() == 2 * BATCH_SIZE
    _assert_all_timed_out_once(ids)
    assert JobHeartbeat.objects.get(job="expiry").last_success_at is not None
