"""Courses and the roles users hold in them."""

from django.conf import settings
from django.db import models

from proctoring.core.models import TimeStampedModel


class Course(TimeStampedModel):
    """A course of the platform, keyed by its opaque ``course_id``.

    .. no_pii:
    """

    course_id = models.CharField(max_length=255, unique=True)
    display_name = models.CharField(max_length=255, blank=True)
    # Name of the proctoring provider for this course; blank means the configured default.
    provider = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["course_id"]

    def __str__(self) -> str:
        return self.course_id


class CourseRole(TimeStampedModel):
    """The role a user holds in one course.

    .. pii: links a user to a course; no other personal data.
    """

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        INSTRUCTOR = "instructor", "Instructor"
        LEARNER = "learner", "Learner"

    STAFF_ROLES = frozenset({Role.STAFF, Role.INSTRUCTOR})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_roles"
    )
    course = models.ForeignKey(
        Course,
        to_field="course_id",
        db_column="course_id",
        on_delete=models.CASCADE,
        related_name="roles",
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="unique_role_per_user_course"),
        ]
        indexes = [models.Index(fields=["course", "role"], name="courserole_course_role")]

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} of {self.course_id}"
