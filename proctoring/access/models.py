"""Who may take an exam, when and where: an exam's access rules, staff's releases, the log of
every pass at the gates, and the browser session a running attempt is bound to."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from proctoring.attempts.models import Attempt
from proctoring.core.models import TimeStampedModel
from proctoring.exams.models import Exam


class RetakePolicy(models.TextChoices):
    """Which of a learner's attempts counts, and whether there may be another."""

    LATEST = "latest", "The latest attempt counts"
    HIGHEST = "highest", "The attempt with the best status counts"
    NONE = "none", "No retake: one attempt"


class ContentAfterSubmission(models.TextChoices):
    """Whether the exam's content may be shown once the learner's attempt is submitted."""

    VISIBLE = "visible", "Shown after submission"
    HIDDEN = "hidden", "Hidden after submission"


class ExamRules(TimeStampedModel):
    """An exam's access rules (every gate optional) and its learner-facing settings.

    An exam without this row has no gate and opens at once.

    .. no_pii:
    """

    exam = models.OneToOneField(
        Exam, on_delete=models.CASCADE, primary_key=True, related_name="access_rules"
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    # Django's password hash of the access code; empty: no code asked.
    access_code_hash = models.CharField(max_length=255, blank=True)
    requires_release = models.BooleanField(default=False)
    allowed_ip_ranges = models.JSONField(default=list, blank=True)  # CIDR networks
    seb_config_key = models.CharField(max_length=128, blank=True)
    seb_browser_exam_keys = models.JSONField(default=list, blank=True)
    seb_config_file = models.TextField(blank=True)  # the .seb file learners download
    max_attempts = models.PositiveIntegerField(null=True, blank=True)
    retake_policy = models.CharField(
        max_length=10, choices=RetakePolicy.choices, default=RetakePolicy.LATEST
    )
    one_session = models.BooleanField(default=False)
    content_after_submission = models.CharField(
        max_length=10,
        choices=ContentAfterSubmission.choices,
        default=ContentAfterSubmission.VISIBLE,
    )
    # Learner-facing settings.
    rules_text = models.TextField(blank=True)
    contacts = models.JSONField(default=list, blank=True)
    escalation_email = models.EmailField(blank=True)
    support_links = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "exam rules"

    def __str__(self) -> str:
        return f"access rules of exam {self.exam_id}"


class ExamRelease(models.Model):
    """Staff's "start now": the exam released for a group of learners (or all, group "").

    .. pii: links a staff member to the release.
    """

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="releases")
    group = models.CharField(max_length=100, blank=True)
    released_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exam", "group"], name="unique_exam_release"),
        ]

    def __str__(self) -> str:
        return f"exam {self.exam_id} released for {self.group or 'everyone'}"


class GateLog(models.Model):
    """One pass of a learner at an exam's gates: the outcome (``passed`` or the refusal's
    code), the gates checked, and the request's address, for staff.

    .. pii: links a user and an IP address to an exam.
    """

    PASSED = "passed"

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="gate_logs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gate_logs"
    )
    attempt_id = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=50)
    gates = models.JSONField(default=list)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["exam", "user", "outcome", "at"], name="gate_log_lookup")]

    def __str__(self) -> str:
        return f"user {self.user_id} at exam {self.exam_id}: {self.outcome}"


class AttemptSession(models.Model):
    """The browser session a running attempt is bound to (exams with ``one_session``): its
    key's SHA-256, never the key. Staff unlock it by removing the row.

    .. no_pii:
    """

    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, primary_key=True, related_name="browser_session"
    )
    session_hash = models.CharField(max_length=64)
    bound_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"session of attempt {self.attempt_id}"
