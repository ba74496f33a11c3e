"""Exam attempts and the history of their statuses, and the reference's name for attempts
(``ProctoredExamStudentAttempt``, a proxy)."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from proctoring.attempts.statuses import CHOICES, RUNNING_STATUSES, AttemptStatus
from proctoring.core.ids import as_id
from proctoring.core.models import TimeStampedModel
from proctoring.exams.models import Exam


def new_attempt_code() -> str:
    """An unguessable code (160 random bits) that names the attempt to providers."""
    return secrets.token_hex(20).upper()


class Attempt(TimeStampedModel):
    """One learner's try at one exam.

    A learner has at most one current attempt per exam; a reset archives it
    (``archived_at``) and the next attempt gets the next ``attempt_number``.

    .. pii: links a user to an exam and its outcome.
    """

    # Not indexed alone: the composite indexes below lead with the exam (and with the user).
    # Every status change writes indexed columns (no HOT update): each index costs an entry.
    exam = models.ForeignKey(
        Exam, on_delete=models.PROTECT, related_name="attempts", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="exam_attempts",
        db_index=False,
    )
    attempt_number = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=64, choices=CHOICES, default=AttemptStatus.CREATED)
    attempt_code = models.CharField(max_length=64, unique=True, default=new_attempt_code)
    # The provider's id of this attempt's proctoring session (indexed below: equality only).
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (None = no session, as in the reference)
    taking_as_proctored = models.BooleanField(default=False)
    is_sample_attempt = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    # The clock, fixed when the attempt starts (see proctoring/attempts/budget.py).
    time_limit_mins = models.PositiveIntegerField(null=True, blank=True)  # the exam's, at start
    allowed_time_seconds = models.PositiveIntegerField(null=True, blank=True)  # with allowances
    deadline_at = models.DateTimeField(null=True, blank=True)
    added_seconds = models.IntegerField(default=0)  # added by staff while running
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)  # total of finished pauses
    # How many events the attempt has told the platforms of (their per-attempt sequence).
    event_sequence = models.PositiveIntegerField(default=0)
    # Resuming after an error (the reference's fields): staff mark an errored attempt
    # ``ready_to_resume`` with the time it had left; the learner's next attempt, which continues
    # it, starts with ``time_remaining_seconds`` as its allowed time; the old one is ``resumed``.
    ready_to_resume = models.BooleanField(default=False)
    resumed = models.BooleanField(default=False)
    time_remaining_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "user", "attempt_number"], name="unique_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["exam", "user"],
                condition=Q(archived_at__isnull=True),
                name="one_current_attempt",
            ),
        ]
        indexes = [
            # A provider names its attempts by their session id (equality: no pattern index).
            models.Index(fields=["external_id"], name="attempt_external_id"),
            models.Index(fields=["user", "exam"], name="attempt_user_exam"),
            models.Index(fields=["exam", "status"], name="attempt_exam_status"),
            # What the expiry job scans: running, unpaused, current attempts by deadline.
            models.Index(
                fields=["deadline_at"],
                condition=Q(
                    status__in=sorted(str(s) for s in RUNNING_STATUSES),
                    paused_at__isnull=True,
                    archived_at__isnull=True,
                ),
                name="attempt_running_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.pk} of user {self.user_id} on exam {self.exam_id}: {self.status}"


class AttemptHistory(models.Model):
    """One status change of an attempt: from, to, when, and who or what caused it.

    The first row of an attempt has an empty ``from_status``: its creation.

    .. pii: links a user (the actor) to an attempt.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=64, blank=True)
    to_status = models.CharField(max_length=64)
    changed_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cause = models.CharField(max_length=100, blank=True)
    # Why, in the words of the staff member or administrator who made the change.
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["attempt_id", "id"]
        verbose_name_plural = "attempt history"

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.from_status or '-'} -> {self.to_status}"


class AttemptTimeChange(models.Model):
    """One change of a running attempt's clock: a pause, a resume, added time, a new allowance.

    .. pii: links a user (the actor) to an attempt.
    """

    class Kind(models.TextChoices):
        PAUSE = "pause", "Paused"
        RESUME = "resume", "Resumed"
        ADD_TIME = "add_time", "Time added"
        ALLOWANCE = "allowance", "Allowance changed"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="time_changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    seconds = models.IntegerField(default=0)  # time added, or time spent paused
    deadline_before = models.DateTimeField(null=True, blank=True)
    deadline_after = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["attempt_id", "id"]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.kind} ({self.deadline_before} -> {self.deadline_after})"


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

    @property
    def proctored_exam(self) -> Exam:
        """The attempt's exam, under the reference's name."""
        return self.exam
