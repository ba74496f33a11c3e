"""The Celery app of the scaled mode: workers run background jobs, beat schedules them."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proctoring.settings")

app = Celery("proctoring")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **kwargs: object) -> None:
    """The beat schedule: every job of the registry (proctoring/jobs.py) on its interval."""
    from proctoring.jobs import JOBS

    for job in JOBS:
        sender.add_periodic_task(job.interval(), sender.signature(job.task), name=job.schedule_name)


@task_prerun.connect(weak=False)
def _job_task_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    from proctoring.ops.jobruns import celery_task_started

    celery_task_started(task_id, getattr(task, "name", None))


@task_postrun.connect(weak=False)
def _job_task_finished(
    task_id: str | None = None,
    task: Any = None,
    state: str | None = None,
    retval: Any = None,
    **kwargs: Any,
) -> None:
    """Record each run of a job's task (docs/operations.md): metrics and its last success."""
    from proctoring.ops.jobruns import celery_task_finished

    celery_task_finished(task_id, getattr(task, "name", None), state, retval)
