"""Background jobs: the one registry, read by the in-process runner and by Celery beat.

Each job is a service with no arguments that returns how much it did. The one-machine mode
runs them in a daemon thread per web process (``PROCTORING_JOBS=inprocess``, started with the
first request the process serves); the scaled mode runs them as Celery tasks that beat
schedules (``proctoring/celery.py``), or from cron through their commands. Several processes
may run the same job at once: the jobs' row locks keep them from doing the same work twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from proctoring.ops.jobruns import job_run_record
from proctoring.outbox.wakeup import delivery_listen, delivery_unlisten

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    label: str  # a word for logs: "the expiry job failed"
    schedule_name: str  # the beat schedule's entry
    task: str  # the Celery task that runs it
    function: str  # the service it runs, as a dotted path (imported when it runs)
    interval_setting: str  # the setting that holds its interval in seconds
    wakeable: bool = False  # the in-process runner runs it at once when woken

    def interval(self) -> float:
        return float(getattr(settings, self.interval_setting))

    def run(self) -> int:
        service: Callable[[], int] = import_string(self.function)
        return service()


JOBS: tuple[Job, ...] = (
    Job(
        label="expiry",
        schedule_name="expire overdue attempts",
        task="proctoring.attempts.tasks.expire_attempts",
        function="proctoring.attempts.expiry.attempts_expire",
        interval_setting="PROCTORING_EXPIRY_INTERVAL_SECONDS",
    ),
    Job(
        label="outbox",
        schedule_name="deliver events",
        task="proctoring.outbox.tasks.deliver_events",
        function="proctoring.outbox.delivery.outbox_deliver",
        interval_setting="PROCTORING_OUTBOX_INTERVAL_SECONDS",
        wakeable=True,  # woken when events commit (proctoring/outbox/wakeup.py)
    ),
)


def job_named(label: str) -> Job:
    return next(job for job in JOBS if job.label == label)


def job_run_recorded(job: Job) -> int:
    """Run the job once and record the run (docs/operations.md): its duration and outcome as
    metrics, its last success or failure in the database, where readiness reads it. The job's
    error, if any, goes on to the caller."""
    started = time.monotonic()
    try:
        done = job.run()
    except Exception as exc:
        job_run_record(job.label, seconds=time.monotonic() - started, error=exc)
        raise
    job_run_record(job.label, seconds=time.monotonic() - started)
    return done


# The shortest time between two runs of a wakeable job in one process.
WAKE_SPACING_SECONDS = 0.2

_lock = threading.Lock()
_runner: JobRunner | None = None


class JobRunner:
    """Runs every registered job on its interval until stopped; ``interval`` overrides them."""

    def __init__(self, interval: float | None = None, jobs: tuple[Job, ...] = JOBS) -> None:
        self.jobs = jobs
        self._override = interval
        self.interval = interval if interval is not None else min(j.interval() for j in jobs)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="proctoring-jobs", daemon=True)

    def start(self) -> None:
        delivery_listen(self.wake)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        delivery_unlisten(self.wake)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def wake(self) -> None:
        """Run the wakeable jobs now (new events committed)."""
        self._wake.set()

    def run_once(self, jobs: tuple[Job, ...] | None = None) -> int:
        """Run the jobs once each; a failed job is logged and counts 0."""
        done = 0
        for job in jobs if jobs is not None else self.jobs:
            close_old_connections()
            try:
                done += job_run_recorded(job)
            except Exception:  # the loop must outlive a failed run; the next one retries
                log.exception("The %s job failed", job.label)
            finally:
                close_old_connections()
        return done

    def _period(self, job: Job) -> float:
        return self._override if self._override is not None else job.interval()

    def _loop(self) -> None:
        # Every job runs once at the start (readiness waits for their first success), then on
        # its interval.
        due = dict.fromkeys(self.jobs, time.monotonic())
        last = dict.fromkeys(self.jobs, 0.0)
        try:
            while not self._stop.is_set():
                if self._wake.wait(max(0.0, min(due.values()) - time.monotonic())):
                    self._wake.clear()
                    # Woken (events committed): the wakeable jobs run soon, but a busy process
                    # runs them at most once every WAKE_SPACING seconds, each run taking
                    # whatever has committed meanwhile.
                    for job in self.jobs:
                        if job.wakeable:
                            due[job] = min(due[job], last[job] + WAKE_SPACING_SECONDS)
                    continue
                if self._stop.is_set():
                    break
                moment = time.monotonic()
                ready = tuple(job for job in self.jobs if due[job] <= moment)
                self.run_once(ready)
                for job in ready:
                    last[job] = time.monotonic()
                    due[job] = last[job] + self._period(job)
        finally:
            # The thread's connections are its own: close them when it ends, or a stopped
            # runner keeps a database session open (CONN_MAX_AGE keeps them between runs).
            connections.close_all()


def jobs_start_in_process() -> JobRunner | None:
    """Start this process's runner once, if the configuration asks for one."""
    global _runner
    if settings.PROCTORING_JOBS != "inprocess":
        return None
    with _lock:
        if _runner is None:
            _runner = JobRunner()
            _runner.start()
            log.info("In-process jobs started (every %ss)", _runner.interval)
        return _runner


class InProcessJobsMiddleware:
    """Starts the in-process runner with the first request the process serves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._started = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._started:
            self._started = True
            jobs_start_in_process()
        return self.get_response(request)
