"""The ``browser`` provider: proctoring by the learner's own browser, with no vendor.

It keeps nothing elsewhere: the exam's id is its own, the attempt's id is its session's
(``browser_session_open``), its setup is the consent and checks page of this service
(``Instructions.setup_url``), which reports the attempt ready, and its submit closes the
session (flags, summary, the automatic review of a clean attempt) when the outbox tells it.
Its data lives here: the service's retirement deletes it (retention.py).
"""

from __future__ import annotations

from django.urls import reverse

from proctoring.browser import services
from proctoring.providers.base import (
    AttemptSpec,
    ExamSpec,
    Instructions,
    LocalProvider,
    ProviderAttempt,
)

STEPS = (
    "Read what your browser will observe during the exam, and agree to it.",
    "Allow the camera when your browser asks (if the exam needs it), and let the page check "
    "that full screen works.",
    "Then start the exam: keep this tab in front and in full screen until you end it.",
)


class BrowserProvider(LocalProvider):
    proctors = True

    def exam_register(self, exam: ExamSpec) -> str | None:
        return exam.external_id or f"browser-exam-{exam.exam_id}"

    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        external_id = services.browser_session_open(attempt_id=attempt.attempt_id)
        return ProviderAttempt(external_id=external_id)

    def attempt_submit(self, *, exam_external_id: str, external_id: str) -> None:
        services.browser_attempt_close(external_id=external_id)

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        if not external_id:
            return Instructions(steps=STEPS)
        return Instructions(steps=STEPS, setup_url=reverse("web:browser-setup", args=[external_id]))
