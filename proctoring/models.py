"""The reference's model-level names, as thin layers over our models.

Code written against the reference (``ProctoredExam.get_exam_by_id(...)``,
``ProctoredExamStudentAttempt.objects.get_exam_attempt(...)``,
``ProctoredExamStudentAttemptStatus.submitted``) runs unchanged on top of
:class:`proctoring.exams.models.Exam`, :class:`proctoring.attempts.models.Attempt` and
:mod:`proctoring.attempts.statuses`. The two models are Django proxy models (no table of their
own, the same rows), declared in their apps' models modules so every process registers them.
"""

from __future__ import annotations

from proctoring.attempts import statuses
from proctoring.attempts.models import ProctoredExamStudentAttempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.exams.models import ProctoredExam

__all__ = [
    "ProctoredExam",
    "ProctoredExamStudentAttempt",
    "ProctoredExamStudentAttemptStatus",
]


class ProctoredExamStudentAttemptStatus:
    """The reference's status names (plain lowercase strings) and predicates.

    The predicates ask :mod:`proctoring.attempts.statuses`, the one table of statuses.
    """

    created: str = AttemptStatus.CREATED.value
    download_software_clicked: str = AttemptStatus.DOWNLOAD_SOFTWARE_CLICKED.value
    ready_to_start: str = AttemptStatus.READY_TO_START.value
    started: str = AttemptStatus.STARTED.value
    ready_to_submit: str = AttemptStatus.READY_TO_SUBMIT.value
    declined: str = AttemptStatus.DECLINED.value
    timed_out: str = AttemptStatus.TIMED_OUT.value
    submitted: str = AttemptStatus.SUBMITTED.value
    second_review_required: str = AttemptStatus.SECOND_REVIEW_REQUIRED.value
    verified: str = AttemptStatus.VERIFIED.value
    rejected: str = AttemptStatus.REJECTED.value
    error: str = AttemptStatus.ERROR.value
    expired: str = AttemptStatus.EXPIRED.value
    onboarding_missing: str = AttemptStatus.ONBOARDING_MISSING.value
    onboarding_pending: str = AttemptStatus.ONBOARDING_PENDING.value
    onboarding_failed: str = AttemptStatus.ONBOARDING_FAILED.value
    onboarding_expired: str = AttemptStatus.ONBOARDING_EXPIRED.value
    onboarding_reset: str = AttemptStatus.ONBOARDING_RESET.value

    @staticmethod
    def is_completed_status(status: str) -> bool:
        return statuses.is_completed_status(status)

    @staticmethod
    def is_incomplete_status(status: str) -> bool:
        return statuses.is_incomplete_status(status)

    @staticmethod
    def is_a_cascadable_failure(status: str) -> bool:
        return statuses.is_a_cascadable_failure(status)

    @staticmethod
    def needs_credit_status_update(status: str) -> bool:
        return statuses.needs_credit_status_update(status)

    @staticmethod
    def needs_status_change_email(status: str) -> bool:
        return statuses.needs_status_change_email(status)
