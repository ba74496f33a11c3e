"""The providers' consumer of the outbox: what providers must hear of the service's changes,
after their commit, durably and in order (proctoring/outbox/consumers.py).

- ``exam.changed`` of a proctored exam: the exam is registered with (or updated at) its
  course's provider, and its ``external_id`` stored;
- ``attempt.status_changed`` of an attempt taken as proctored, with the provider's id, to
  ``started``, ``submitted`` or ``error``: the provider is told (``PATCH`` of its status);
- ``attempt.reset``: the provider removes the attempt (``DELETE``).

A provider that cannot be reached raises, so the outbox tries the events again later with
backoff; a provider that refuses a call is recorded (ProviderEvent) and not asked again, so
one refused event does not hold back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from proctoring.attempts.models import Attempt
from proctoring.core.events import ATTEMPT_RESET, ATTEMPT_STATUS_CHANGED, EXAM_CHANGED, DomainEvent
from proctoring.exams.models import Exam
from proctoring.exceptions import ProctoringError, ProviderUnavailable
from proctoring.providers.base import Provider
from proctoring.providers.services import exam_register, provider_call, provider_of_exam

log = logging.getLogger(__name__)

PROVIDER_EVENT_TYPES = (EXAM_CHANGED, ATTEMPT_STATUS_CHANGED, ATTEMPT_RESET)
STATUS_CALLS = {"started": "attempt_start", "submitted": "attempt_submit", "error": "attempt_error"}


def providers_consume(events: Sequence[DomainEvent]) -> None:
    exam_ids = [event.payload.get("exam_id") for event in events if event.type == EXAM_CHANGED]
    exams = Exam.objects.select_related("course").in_bulk(exam_ids)
    attempt_ids = [event.attempt_id for event in events if _tells_attempt(event)]
    attempts = Attempt.objects.select_related("exam__course").in_bulk(
        [pk for pk in attempt_ids if pk is not None]
    )
    for event in events:
        if event.type == EXAM_CHANGED:
            exam = exams.get(event.payload.get("exam_id") or 0)
            if exam is not None and exam.is_proctored:
                _exam_tell(exam)
        elif _tells_attempt(event):
            attempt = attempts.get(event.attempt_id or 0)
            if attempt is not None:
                _attempt_tell(attempt, event)


def _exam_tell(exam: Exam) -> None:
    def register(provider: Provider) -> None:
        exam_register(exam=exam, provider=provider)

    _guarded(exam, register)


def _tells_attempt(event: DomainEvent) -> bool:
    if event.type == ATTEMPT_RESET:
        return True
    return (
        event.type == ATTEMPT_STATUS_CHANGED
        and bool(event.payload.get("taking_as_proctored"))
        and event.payload.get("to_status") in STATUS_CALLS
    )


def _attempt_tell(attempt: Attempt, event: DomainEvent) -> None:
    exam = attempt.exam
    if not (attempt.external_id and exam.external_id and exam.is_proctored):
        return
    if event.type == ATTEMPT_RESET:
        operation = "attempt_remove"
    else:
        operation = STATUS_CALLS[event.payload["to_status"]]
    exam_external_id, external_id = exam.external_id, attempt.external_id

    def tell(provider: Provider) -> None:
        call = getattr(provider, operation)
        provider_call(
            provider,
            operation,
            lambda: call(exam_external_id=exam_external_id, external_id=external_id),
            exam_id=exam.pk,
            attempt_id=attempt.pk,
        )

    _guarded(exam, tell)


def _guarded(exam: Exam, act: Callable[[Provider], object]) -> None:
    """Run ``act`` with the exam's provider: an outage is raised (retried later), a refusal
    is recorded by ``provider_call`` and logged."""
    try:
        provider = provider_of_exam(exam)
        if provider.proctors:
            act(provider)
    except ProviderUnavailable:
        raise
    except ProctoringError as exc:
        log.warning("A provider refused a call: %s", exc.message)
