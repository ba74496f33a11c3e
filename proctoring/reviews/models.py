"""Reviews of attempts, and each exam's review policy."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.exams.models import Exam
from proctoring.reviews.types import ReviewStatus

# What a provider's failing verdict may lead to, as an exam's review policy chooses.
FAILING_OUTCOMES = [
    (AttemptStatus.REJECTED.value, "Rejected"),
    (AttemptStatus.SECOND_REVIEW_REQUIRED.value, "Second review required"),
    (AttemptStatus.VERIFIED.value, "Verified"),
]


class ReviewPolicy(models.Model):
    """An exam's review policy: the rules the provider's reviewers apply (``text``, sent to the
    provider with the exam) and what their failing verdicts do to an attempt.

    .. no_pii:
    """

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="review_policy")
    text = models.TextField(blank=True)
    on_violation = models.CharField(
        max_length=32, choices=FAILING_OUTCOMES, default=AttemptStatus.REJECTED.value
    )
    on_suspicious = models.CharField(
        max_length=32, choices=FAILING_OUTCOMES, default=AttemptStatus.REJECTED.value
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "review policies"

    def __str__(self) -> str:
        return f"review policy of exam {self.exam_id}"


class Review(models.Model):
    """One review of an attempt, a provider's or a staff member's, as it arrived.

    ``verdict`` is the status the review asks for; ``applied`` says whether the attempt took
    it; a review that cannot apply (it comes after a final verdict, or for an archived attempt)
    is kept ``flagged`` for course staff, never applied silently.

    .. pii: links a user's attempt to a reviewer's remarks and the recording's link.
    """

    class Source(models.TextChoices):
        PROVIDER = "provider", "Provider"
        STAFF = "staff", "Course staff"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="reviews")
    source = models.CharField(max_length=16, choices=Source.choices)
    provider = models.CharField(max_length=100, blank=True)
    review_status = models.CharField(
        max_length=32, blank=True, choices=[(s.value, s.value) for s in ReviewStatus]
    )
    status_before = models.CharField(max_length=64)
    verdict = models.CharField(max_length=64, blank=True)
    applied = models.BooleanField(default=False)
    flagged = models.BooleanField(default=False)
    reviewer = models.CharField(max_length=254, blank=True)  # the provider's reviewer
    reviewer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    comments = models.JSONField(default=list, blank=True)
    video_url = models.TextField(blank=True)
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["attempt_id", "id"]
        indexes = [
            models.Index(fields=["attempt", "-id"], name="review_attempt_latest"),
            models.Index(
                fields=["flagged"], condition=models.Q(flagged=True), name="review_flagged"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"review {self.pk} of attempt {self.attempt_id}: {self.review_status or self.verdict}"
        )
