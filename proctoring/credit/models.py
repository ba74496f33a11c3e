"""The local record of credit requirement statuses (default credit service)."""

from django.conf import settings
from django.db import models

from proctoring.core.models import TimeStampedModel


class CreditRequirementStatus(TimeStampedModel):
    """A learner's status on one credit requirement of a course.

    .. pii: links a user to a result in a course.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_statuses"
    )
    course_id = models.CharField(max_length=255)
    req_namespace = models.CharField(max_length=100)
    req_name = models.CharField(max_length=255)
    status = models.CharField(max_length=32)
    reason = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "credit requirement statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course_id", "req_namespace", "req_name"],
                name="unique_credit_requirement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.req_namespace}/{self.req_name} of user {self.user_id}: {self.status}"
