"""Browser proctoring's records: each exam's settings, each attempt's session (its consent,
its last heartbeat, its rate window, its summary), the events and snapshots the exam page sent,
the irregularities (flags) found in them, and every staff view of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from proctoring.attempts.models import Attempt
from proctoring.exams.models import Exam


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class BrowserExamSettings(models.Model):
    """What browser proctoring observes for one exam, and how it judges it. An exam without a
    row uses the defaults of ``PROCTORING_BROWSER_DEFAULTS`` (``browser_settings_for_exam``).

    .. no_pii:
    """

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="browser_settings")
    observe_focus = models.BooleanField(
        default=True, help_text="Page visibility and window focus changes."
    )
    observe_fullscreen = models.BooleanField(default=True, help_text="Leaving full screen.")
    observe_clipboard = models.BooleanField(
        default=True, help_text="Copy, cut, paste and context-menu attempts."
    )
    observe_window_size = models.BooleanField(
        default=True, help_text="The window shrunk below the minimum size."
    )
    observe_screens = models.BooleanField(
        default=True, help_text="A second screen, where the browser tells it."
    )
    camera_snapshots = models.BooleanField(default=True, help_text="Webcam snapshots.")
    snapshot_interval_seconds = models.PositiveIntegerField(default=60)
    camera_required = models.BooleanField(
        default=True, help_text="The setup checks a camera, and its frames are expected."
    )
    fullscreen_required = models.BooleanField(default=True)
    min_window_width = models.PositiveIntegerField(default=800)
    min_window_height = models.PositiveIntegerField(default=500)
    away_seconds_limit = models.PositiveIntegerField(
        default=30, help_text="Time away from the page (in total) before it is flagged."
    )
    heartbeat_gap_seconds = models.PositiveIntegerField(
        default=60, help_text="A silence of the exam page longer than this is a network gap."
    )
    auto_review_when_clean = models.BooleanField(
        default=False,
        help_text="An attempt with no flag is verified automatically (recorded as such).",
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "browser proctoring settings"
        verbose_name_plural = "browser proctoring settings"

    def __str__(self) -> str:
        return f"browser proctoring settings of exam {self.exam_id}"


class BrowserSession(models.Model):
    """One attempt's browser proctoring: the external id the provider gave it, the learner's
    consent (when, to which text), the checks the setup page reported, the last time the exam
    page was heard from, the per-minute batch window of the rate limit, and, once submitted,
    the summary of its flags.

    .. pii: the learner's consent and the checks of their device.
    """

    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, related_name="browser_proctoring"
    )
    external_id = models.CharField(max_length=64, unique=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    consent_version = models.CharField(max_length=32, blank=True)
    consent_text = models.TextField(blank=True)
    checks = models.JSONField(default=dict, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_batches = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"browser session of attempt {self.attempt_id}"


class BrowserEvent(models.Model):
    """One thing the exam page observed (or the server inferred: a heartbeat gap), once:
    ``client_id`` is the page's own id of the event, unique per attempt, so a batch sent again
    adds nothing.

    .. pii: what the learner did in the exam page, and when.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="browser_events")
    client_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=32)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "client_id"], name="browser_event_once_per_attempt"
            )
        ]
        indexes = [models.Index(fields=["attempt", "occurred_at"], name="browser_event_time")]

    def __str__(self) -> str:
        return f"{self.kind} of attempt {self.attempt_id}"


class BrowserSnapshot(models.Model):
    """A webcam (or screen) image of the exam page, kept through Django's storage API (the
    ``browser_snapshots`` storage) under ``path``; served only through a permission-checked
    view, never a public URL.

    .. pii: an image of the learner.
    """

    class Kind(models.TextChoices):
        CAMERA = "camera", "Camera"
        SCREEN = "screen", "Screen"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="browser_snapshots")
    client_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    taken_at = models.DateTimeField()
    received_at = models.DateTimeField(db_index=True)
    path = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "client_id"], name="browser_snapshot_once_per_attempt"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} snapshot of attempt {self.attempt_id}"


class Irregularity(models.Model):
    """A flag: a rule that the attempt's events broke, with its severity and when.

    .. no_pii: (it points to an attempt)
    """

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="browser_irregularities"
    )
    rule = models.CharField(max_length=32)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    detail = models.CharField(max_length=255)
    at = models.DateTimeField(null=True, blank=True)
    event = models.ForeignKey(BrowserEvent, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name_plural = "irregularities"

    def __str__(self) -> str:
        return f"{self.rule} ({self.severity}) of attempt {self.attempt_id}"


class BrowserDataView(models.Model):
    """Who looked at an attempt's proctoring data (its timeline, or one snapshot), and when.

    .. pii: links a staff member to a learner's attempt.
    """

    class What(models.TextChoices):
        TIMELINE = "timeline", "Timeline"
        SNAPSHOT = "snapshot", "Snapshot"

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=16, choices=What.choices)
    snapshot = models.ForeignKey(
        BrowserSnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    viewed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.viewer_id} viewed the {self.what} of attempt {self.attempt_id}"
