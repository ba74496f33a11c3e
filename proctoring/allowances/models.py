"""Per-learner accommodations on an exam, and the two wider levels an accommodation can be
given at: a group of learners on an exam (an exam window), a learner on every exam of a course
(an accommodation profile).

One value per key applies to a learner on an exam, the narrowest level first: the learner's
own allowance on the exam, else its group's, else its course profile's (``selectors.py``).
"""

from django.conf import settings
from django.db import models

from proctoring.core.models import TimeStampedModel
from proctoring.courses.models import Course
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
        OPENS_AT = "opens_at", "Own opening time"

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


class GroupMember(TimeStampedModel):
    """A learner's membership of a named group of a course (a room, a cohort, a sitting):
    groups get their own exam windows and staff's "start now" releases.

    .. pii: links a user to a group of a course.
    """

    course = models.ForeignKey(
        Course,
        to_field="course_id",
        db_column="course_id",
        on_delete=models.CASCADE,
        related_name="group_members",
    )
    group = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_groups"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "group", "user"], name="unique_group_member"),
        ]
        indexes = [models.Index(fields=["course", "user"], name="group_member_user")]

    def __str__(self) -> str:
        return f"user {self.user_id} in {self.group} of {self.course_id}"


class GroupAllowance(TimeStampedModel):
    """A group's window on an exam: its own opening time or due date (keys ``opens_at`` and
    ``due_date_extension``), for every member without a value of their own.

    .. no_pii:
    """

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="group_allowances")
    group = models.CharField(max_length=100)
    key = models.CharField(max_length=50, choices=Allowance.Key.choices)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exam", "group", "key"], name="unique_group_allowance"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} for group {self.group} on exam {self.exam_id}"


class CourseAllowance(TimeStampedModel):
    """A learner's accommodation profile in a course: one value per key, applied to every
    exam of the course, present and future, unless the exam has the learner's own value.

    .. pii: links a user to an accommodation, which can reveal a disability; staff-only.
    """

    course = models.ForeignKey(
        Course,
        to_field="course_id",
        db_column="course_id",
        on_delete=models.CASCADE,
        related_name="course_allowances",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_allowances"
    )
    key = models.CharField(max_length=50, choices=Allowance.Key.choices)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "user", "key"], name="unique_course_allowance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} for user {self.user_id} in {self.course_id}"
