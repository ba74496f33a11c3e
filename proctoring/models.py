"""The reference's model-level names, as thin layers over our models.

Code written against the reference (``ProctoredExam.get_exam_by_id(...)``,
``ProctoredExamStudentAttempt.objects.get_exam_attempt(...)``,
``ProctoredExamStudentAttemptStatus.submitted``) runs unchanged on top of
:class:`proctoring.exams.models.Exam`, :class:`proctoring.attempts.models.Attempt` and
:mod:`proctoring.attempts.statuses`.

The two models are Django proxy models: no table of their own, the same rows. Their
``app_label`` is the app of the concrete model. The ``attempts`` app imports this module when
it is ready, so the proxies are registered in every process, whatever imports what, and their
migrations (which create no table) always match.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from proctoring.attempts import statuses
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.core.ids import as_id
from proctoring.courses.services import course_get_or_create
from proctoring.exams.models import Exam

__all__ = [
    "ProctoredExam",
    "ProctoredExamStudentAttempt",
    "ProctoredExamStudentAttemptStatus",
]


class ProctoredExamManager(models.Manager["ProctoredExam"]):
    def create(self, **kwargs: Any) -> ProctoredExam:
        """Create an exam; a plain ``course_id`` string gets its Course row first if missing."""
        course_id = kwargs.get("course_id")
        if isinstance(course_id, str) and "course" not in kwargs:
            course_get_or_create(course_id=course_id)
        elif isinstance(kwargs.get("course"), str):
            # The reference's field was a plain string called ``course_id``; accept it as
            # ``course=`` as well rather than failing on the foreign key.
            kwargs["course"] = course_get_or_create(course_id=kwargs["course"])
        return super().create(**kwargs)


class ProctoredExam(Exam):
    """The reference's ``ProctoredExam``: an :class:`Exam`, with its lookup classmethods."""

    objects: ClassVar[ProctoredExamManager] = ProctoredExamManager()

    class Meta:
        proxy = True
        app_label = "exams"

    @classmethod
    def get_exam_by_id(cls, exam_id: Any) -> ProctoredExam | None:
        """The exam with this id, or None."""
        pk = as_id(exam_id)
        if pk is None:
            return None
        return cls.objects.filter(pk=pk).first()

    @classmethod
    def get_exam_by_content_id(cls, course_id: str, content_id: str) -> ProctoredExam | None:
        """The exam of the (course_id, content_id) pair, or None."""
        return cls.objects.filter(course_id=course_id, content_id=content_id).first()

    @classmethod
    def get_all_exams_for_course(
        cls, course_id: str, active_only: bool = False
    ) -> models.QuerySet[ProctoredExam]:
        """The course's exams (only the active ones with ``active_only``), by id."""
        exams = cls.objects.filter(course_id=course_id)
        if active_only:
            exams = exams.filter(is_active=True)
        return exams.order_by("id")

    @classmethod
    def get_practice_proctored_exams_for_course(
        cls, course_id: str
    ) -> models.QuerySet[ProctoredExam]:
        """The course's active, proctored practice exams, by id."""
        return cls.get_all_exams_for_course(course_id, active_only=True).filter(
            is_proctored=True, is_practice_exam=True
        )


class ProctoredExamStudentAttemptManager(models.Manager["ProctoredExamStudentAttempt"]):
    def get_exam_attempt(self, exam_id: Any, user_id: Any) -> ProctoredExamStudentAttempt | None:
        """The learner's current (not archived) attempt on the exam, or None."""
        exam_pk, user_pk = as_id(exam_id), as_id(user_id)
        if exam_pk is None or user_pk is None:
            return None
        return (
            self.select_related("exam")
            .filter(exam_id=exam_pk, user_id=user_pk, archived_at__isnull=True)
            .first()
        )

    def get_exam_attempt_by_id(self, attempt_id: Any) -> ProctoredExamStudentAttempt | None:
        """The attempt with this id (current or archived), or None."""
        pk = as_id(attempt_id)
        if pk is None:
            return None
        return self.select_related("exam").filter(pk=pk).first()


class ProctoredExamStudentAttempt(Attempt):
    """The reference's ``ProctoredExamStudentAttempt``: an :class:`Attempt`."""

    objects: ClassVar[ProctoredExamStudentAttemptManager] = ProctoredExamStudentAttemptManager()

    class Meta:
        proxy = True
        app_label = "attempts"

    @property
    def proctored_exam(self) -> Exam:
        """The attempt's exam, under the reference's name."""
        return self.exam


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
