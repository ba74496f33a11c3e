"""Exams of a course, and the reference's name for them (``ProctoredExam``, a proxy)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from proctoring.core.ids import as_id
from proctoring.core.models import TimeStampedModel
from proctoring.courses.models import Course
from proctoring.courses.services import course_get_or_create


class Exam(TimeStampedModel):
    """One exam of a course: timed, proctored, or practice (proctored and practice).

    Exams are deactivated, never deleted.

    .. no_pii:
    """

    course = models.ForeignKey(
        Course,
        to_field="course_id",
        db_column="course_id",
        on_delete=models.PROTECT,
        related_name="exams",
    )
    content_id = models.CharField(max_length=255)
    exam_name = models.TextField()
    time_limit_mins = models.PositiveIntegerField(null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    is_proctored = models.BooleanField(default=True)
    is_practice_exam = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    hide_after_due = models.BooleanField(default=False)
    # The course's onboarding exam (the reference's): a proctored practice exam whose verified
    # attempt lets the learner take the course's proctored exams (attempts/onboarding.py).
    is_onboarding = models.BooleanField(default=False)
    # The provider's id of the exam.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    # Name of the proctoring provider this exam was set up with.
    backend = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "content_id"], name="unique_exam_content"),
        ]
        indexes = [models.Index(fields=["course", "is_active"], name="exam_course_active")]

    def __str__(self) -> str:
        return f"{self.exam_name} ({self.course_id} {self.content_id})"


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
