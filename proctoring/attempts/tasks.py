"""Celery tasks of attempts: interfaces that call one service each (proctoring/jobs.py lists
the ones beat schedules)."""

from __future__ import annotations

from celery import shared_task

from proctoring.attempts.expiry import attempts_expire


@shared_task(name="proctoring.attempts.tasks.expire_attempts", ignore_result=True)
def expire_attempts() -> int:
    """Time out the attempts past their deadline and expire those never started past their
    due date (several workers may run it at once)."""
    return attempts_expire()
