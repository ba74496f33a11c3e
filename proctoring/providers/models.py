"""What the service and its providers said to each other: calls and their outcomes, callbacks
received, and the message ids that protect callbacks from replays."""

from __future__ import annotations

from django.db import models


class ProviderEvent(models.Model):
    """One exchange with a provider: a call the service made (``exam_register``,
    ``attempt_create``, ``attempt_start``...), a callback it received (``callback_ready``,
    ``callback_reviewed``), or what the learner's browser reported (``ping_missed``), with its
    outcome. A failed call leaves its error here; the attempt's timeline shows them.

    .. no_pii:
    """

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        ERROR = "error", "The provider answered with an error"
        UNAVAILABLE = "unavailable", "The provider could not be reached or timed out"
        REPORTED = "reported", "Reported (by the provider or the browser)"

    alias = models.CharField(max_length=100)
    operation = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    message = models.TextField(blank=True)
    exam = models.ForeignKey(
        "exams.Exam", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempt = models.ForeignKey(
        "attempts.Attempt",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="provider_events",
    )
    created = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["attempt", "id"], name="provider_event_attempt")]

    def __str__(self) -> str:
        return f"{self.alias} {self.operation}: {self.outcome}"


class CallbackMessage(models.Model):
    """A signed callback's message id (``webhook-id``), kept so that a replay of the same
    message is refused: the database, not a cache, remembers it.

    .. no_pii:
    """

    alias = models.CharField(max_length=100)
    message_id = models.CharField(max_length=255)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["alias", "message_id"], name="unique_callback_message")
        ]

    def __str__(self) -> str:
        return f"{self.alias} {self.message_id}"
