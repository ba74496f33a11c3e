"""The ``null`` provider: timed exams only. It proctors nothing and is told nothing."""

from __future__ import annotations

from proctoring.providers.base import (
    AttemptSpec,
    DashboardUser,
    ExamSpec,
    Instructions,
    OnboardingStatus,
    Provider,
    ProviderAttempt,
)


class NullProvider(Provider):
    proctors = False

    def exam_register(self, exam: ExamSpec) -> str | None:
        return exam.external_id

    def attempt_create(self, attempt: AttemptSpec) -> ProviderAttempt:
        return ProviderAttempt(external_id=None)

    def attempt_start(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def attempt_submit(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def attempt_error(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def attempt_remove(self, *, exam_external_id: str, external_id: str) -> None:
        return None

    def instructions(
        self, *, exam_external_id: str | None, external_id: str | None
    ) -> Instructions:
        return Instructions()

    def onboarding_statuses(self, *, course_id: str) -> list[OnboardingStatus]:
        return []

    def instructor_dashboard_url(
        self,
        *,
        course_id: str,
        user: DashboardUser,
        exam_external_id: str | None = None,
        attempt_external_id: str | None = None,
    ) -> str | None:
        return None

    def user_retire(self, *, user_id: str) -> bool:
        return True
