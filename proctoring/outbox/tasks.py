"""Celery tasks of the outbox (proctoring/jobs.py lists the ones beat schedules)."""

from __future__ import annotations

from celery import shared_task

from proctoring.outbox.delivery import outbox_deliver


@shared_task(name="proctoring.outbox.tasks.deliver_events", ignore_result=True)
def deliver_events() -> int:
    """One delivery pass (several workers may run it at once: subscriptions are leased)."""
    return outbox_deliver()
