"""The record of background job runs: metrics in the running process, and the last run of each
job in the database (``JobHeartbeat``), which readiness reads across processes.

The in-process runner (``proctoring/jobs.py``) records each run itself; Celery workers record
theirs through the task signals that ``proctoring/celery.py`` connects to the functions below.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import Error, transaction

from proctoring.core.clock import now
from proctoring.ops.metrics import JOB_DURATION, JOB_RUNS

log = logging.getLogger(__name__)

SUCCESS, FAILURE = "success", "failure"
_celery_started: dict[str, float] = {}  # task id -> monotonic time of its start


def job_heartbeat_write(label: str, *, seconds: float, error: BaseException | None) -> None:
    """Upsert the job's row in one statement: the last success or failure and its duration."""
    from proctoring.ops.models import JobHeartbeat

    values: dict[str, Any] = {"last_duration_seconds": seconds}
    if error is None:
        values["last_success_at"] = now()
    else:
        values["last_failure_at"] = now()
        values["last_error"] = f"{type(error).__name__}: {error}"[:500]
    with transaction.atomic():
        JobHeartbeat.objects.bulk_create(
            [JobHeartbeat(job=label, **values)],
            update_conflicts=True,
            unique_fields=["job"],
            update_fields=list(values),
        )


def job_run_record(label: str, *, seconds: float, error: BaseException | None = None) -> None:
    """Count a run of the job, observe its duration and write its heartbeat (never raises for a
    database that is down: the run's own failure is what the caller reports)."""
    JOB_DURATION.labels(job=label).observe(seconds)
    JOB_RUNS.labels(job=label, outcome=FAILURE if error is not None else SUCCESS).inc()
    try:
        job_heartbeat_write(label, seconds=seconds, error=error)
    except Error:
        log.warning("Could not record the run of the %s job", label, exc_info=True)


def _job_label(task_name: str | None) -> str | None:
    from proctoring.jobs import JOBS

    return next((job.label for job in JOBS if job.task == task_name), None)


def celery_task_started(task_id: str | None, task_name: str | None) -> None:
    """``task_prerun``: note when a job's task starts."""
    if task_id is not None and _job_label(task_name) is not None:
        _celery_started[task_id] = time.monotonic()


def celery_task_finished(
    task_id: str | None, task_name: str | None, state: str | None, retval: Any
) -> None:
    """``task_postrun``: record a job's run, failed when the task raised."""
    label = _job_label(task_name)
    if label is None or task_id is None:
        return
    started = _celery_started.pop(task_id, None)
    seconds = time.monotonic() - started if started is not None else 0.0
    failed = state == "FAILURE" or isinstance(retval, BaseException)
    error = (
        (retval if isinstance(retval, BaseException) else RuntimeError(str(retval)))
        if failed
        else None
    )
    job_run_record(label, seconds=seconds, error=error)
