"""The Celery app of the scaled mode: workers run background jobs, beat schedules them."""

from __future__ import annotations

import os

from celery import Celery

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
