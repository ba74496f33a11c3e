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
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from proctoring.attempts.deadline_wakeup import deadlines_listen, deadlines_unlisten
from proctoring.core.clock import now
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
    # A query, as a dotted path, for the next moment the job has work (None: none known); the
    # in-process runner runs the job then if that comes before its interval.
    next_work: str | None = None

    def interval(self) -> float:
        return float(getattr(settings, self.interval_setting))

    def next_moment(self) -> datetime | None:
        if self.next_work is None:
            return None
        query: Callable[[], datetime | None] = import_string(self.next_work)
        return query()

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
        # the next deadline plus grace; the runner looks again when a deadline is set or moved
        # (proctoring/attempts/deadline_wakeup.py)
        next_work="proctoring.attempts.expiry.attempts_next_time_out",
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


# After a run that did nothing, a job whose next work is already due waits this long before it
# runs again: the rows it left were held by another process, which is timing them out.
RETRY_PAUSE_SECONDS = 0.5
# The next work is run this much after its moment, so that the moment has surely passed.
MARGIN_SECONDS = 0.05


class JobRunner:
    """Runs every registered job on its interval until stopped; ``interval`` overrides them.

    A job with a next-work query (the expiry job: the next deadline plus grace) runs at that
    moment when it comes before the interval; the runner asks after each run of the job and
    when told that a deadline was set or moved (``replan``)."""

    def __init__(self, interval: float | None = None, jobs: tuple[Job, ...] = JOBS) -> None:
        self.jobs = jobs
        self._override = interval
        self.interval = interval if interval is not None else min(j.interval() for j in jobs)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._deliver = threading.Event()
        self._replan = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="proctoring-jobs", daemon=True)

    def start(self) -> None:
        delivery_listen(self.wake)
        deadlines_listen(self.replan)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        delivery_unlisten(self.wake)
        deadlines_unlisten(self.replan)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def wake(self) -> None:
        """Run the wakeable jobs now (new events committed)."""
        self._deliver.set()
        self._wake.set()

    def replan(self) -> None:
        """Ask the jobs with a next-work query again (a deadline was set or moved)."""
        self._replan.set()
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

    def _due(self, job: Job, *, idle_run: bool) -> float:
        """The monotonic moment the job runs next: after its interval, or at its next work."""
        moment = time.monotonic()
        due = moment + self._period(job)
        if job.next_work is None:
            return due
        close_old_connections()
        try:
            when = job.next_moment()
        except Exception:  # the interval still runs the job
            log.exception("Asking the %s job for its next work failed", job.label)
            return due
        finally:
            close_old_connections()
        if when is None:
            return due
        wait = (when - now()).total_seconds() + MARGIN_SECONDS
        return min(due, moment + max(wait, RETRY_PAUSE_SECONDS if idle_run else 0.0))

    def _flag(self, event: threading.Event) -> bool:
        """Whether the event was set, clearing it (before the work it asks for is done)."""
        was_set = event.is_set()
        if was_set:
            event.clear()
        return was_set

    def _loop(self) -> None:
        try:
            # Every job runs once at the start (readiness waits for their first success).
            due = dict.fromkeys(self.jobs, time.monotonic())
            last = dict.fromkeys(self.jobs, 0.0)
            while not self._stop.is_set():
                self._wake.wait(max(0.0, min(due.values()) - time.monotonic()))
                if self._stop.is_set():
                    break
                self._wake.clear()
                if self._flag(self._deliver):
                    # Events committed: the wakeable jobs run now, but at most once every
                    # WAKE_SPACING seconds in a busy process, each run taking what has
                    # committed meanwhile.
                    for job in self.jobs:
                        if job.wakeable:
                            due[job] = min(due[job], last[job] + WAKE_SPACING_SECONDS)
                if self._flag(self._replan):
                    for job in self.jobs:
                        if job.next_work is not None:
                            due[job] = min(due[job], self._due(job, idle_run=False))
                moment = time.monotonic()
                for job in tuple(job for job in self.jobs if due[job] <= moment):
                    done = self.run_once((job,))
                    last[job] = time.monotonic()
                    due[job] = self._due(job, idle_run=done == 0)
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
