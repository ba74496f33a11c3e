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
    """The one beat schedule: expire overdue attempts every PROCTORING_EXPIRY_INTERVAL_SECONDS."""
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.PROCTORING_EXPIRY_INTERVAL_SECONDS),
        sender.signature("proctoring.attempts.tasks.expire_attempts"),
        name="expire overdue attempts",
    )
