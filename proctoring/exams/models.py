"""Exams of a course."""

from django.db import models

from proctoring.core.models import TimeStampedModel
from proctoring.courses.models import Course


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
