"""A provider for tests that records each call, and whether a transaction was open then."""

from __future__ import annotations

from typing import ClassVar

from django.db import connection

from proctoring.providers.base import (
    AttemptSpec,
    ExamSpec,
    Instructions,
    LocalProvider,
    ProviderAttempt,
)


class RecordingProvider(LocalProvider):
    # (operation, whether the database connection was inside a transaction)
    calls: ClassVar[list[tuple[str, bool]]] = []

    def _record(self, operation: str) -> None:
        RecordingProvider.calls.append((operation, connection.in_atomic_block))

    def exam_register(self, exam: ExamSpec) -> str | None:
        self._record("exam_register")
        return exam.external_id or f"rec-exam-{exam.exam_id}"

    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        self._record("attempt_create")
        return ProviderAttempt(external_id=f"rec-{attempt.attempt_id}")

    def attempt_start(self, *, exam_external_id: str, external_id: str) -> None:
        self._record("attempt_start")

    def attempt_submit(self, *, exam_external_id: str, external_id: str) -> None:
        self._record("attempt_submit")

    def attempt_error(self, *, exam_external_id: str, external_id: str) -> None:
        self._record("attempt_error")

    def attempt_remove(self, *, exam_external_id: str, external_id: str) -> None:
        self._record("attempt_remove")

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        self._record("instructions")
        return Instructions()
