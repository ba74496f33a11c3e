"""The ``lti`` provider: a proctored attempt's learner continues to the service's own launch
view, which starts LTI Proctoring Services with the alias's tool (``OPTIONS: {"TOOL": client
id}``; without it, the one registered tool). The tool then drives the attempt over LTI
(launches.py, acs.py): the provider itself makes no network calls.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

from django.urls import reverse

from proctoring.providers.base import (
    AttemptSpec,
    ExamSpec,
    Instructions,
    LocalProvider,
    ProviderAttempt,
)


class LtiProvider(LocalProvider):
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"TOOL"})

    def __init__(self, *, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias=alias, options=options)
        self.tool = str(options.get("TOOL") or "")

    def exam_register(self, exam: ExamSpec) -> str | None:
        # The tool learns of the exam at launch (its resource link): the id is ours.
        return exam.external_id or f"lti-exam-{exam.exam_id}"

    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        return ProviderAttempt(external_id=f"lti-{attempt.attempt_id}-{secrets.token_hex(8)}")

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        if not external_id:
            return Instructions()
        return Instructions(
            steps=("Your proctoring tool checks your set-up, then opens the exam.",),
            setup_url=reverse("web:lti-launch", kwargs={"external_id": external_id}),
        )
