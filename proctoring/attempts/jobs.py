"""The in-process job runner of the one-machine mode: a daemon thread per web process.

It starts with the first request a process serves (runserver or gunicorn), when
``PROCTORING_JOBS`` is ``inprocess``, and runs the expiry job every
``PROCTORING_EXPIRY_INTERVAL_SECONDS``. Several processes may each run one: the job's row locks
keep them from processing an attempt twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse

from proctoring.attempts.timekeeping import attempts_expire_overdue

log = logging.getLogger(__name__)

_lock = threading.Lock()
_runner: JobRunner | None = None


class JobRunner:
    """Runs the expiry job every ``interval`` seconds until stopped."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="proctoring-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> int:
        close_old_connections()
        try:
            return attempts_expire_overdue()
        except Exception:  # the loop must outlive a failed run; the next one retries
            log.exception("The expiry job failed")
            return 0
        finally:
            close_old_connections()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.run_once()
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
            _runner = JobRunner(settings.PROCTORING_EXPIRY_INTERVAL_SECONDS)
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
