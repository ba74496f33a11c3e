"""Per-learner accommodations on an exam."""

from django.conf import settings
from django.db import models

from proctoring.core.models import TimeStampedModel
from proctoring.exams.models import Exam


class Allowance(TimeStampedModel):
    """A learner's allowance on an exam: one value per (exam, user, key).

    .. pii: links a user to an accommodation, which can reveal a disability; staff-only.
    """

    class Key(models.TextChoices):
        ADDITIONAL_TIME = "additional_time_granted", "Additional time (minutes)"
        TIME_MULTIPLIER = "time_multiplier", "Time multiplier"
        REVIEW_POLICY_EXCEPTION = "review_policy_exception", "Review policy exception"
        DUE_DATE_EXTENSION = "due_date_extension", "Extended due date"

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="allowances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_allowances"
    )
    key = models.CharField(max_length=50, choices=Key.choices)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exam", "user", "key"], name="unique_allowance"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} for user {self.user_id} on exam {self.exam_id}"
