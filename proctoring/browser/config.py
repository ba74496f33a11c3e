"""Settings of browser proctoring, read when used (never at import time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

# The version of the consent text the learner agrees to: change it with the text
# (templates/web/browser/setup.html), so a recorded consent says which text it was.
CONSENT_VERSION = "2026-11-30"
SNAPSHOT_STORAGE = "browser_snapshots"


@dataclass(frozen=True)
class IngestLimits:
    max_batch_bytes: int
    max_events: int
    max_snapshots: int
    max_snapshot_bytes: int
    batches_per_minute: int


def ingest_limits() -> IngestLimits:
    return IngestLimits(
        max_batch_bytes=settings.PROCTORING_BROWSER_MAX_BATCH_BYTES,
        max_events=settings.PROCTORING_BROWSER_MAX_EVENTS_PER_BATCH,
        max_snapshots=settings.PROCTORING_BROWSER_MAX_SNAPSHOTS_PER_BATCH,
        max_snapshot_bytes=settings.PROCTORING_BROWSER_MAX_SNAPSHOT_BYTES,
        batches_per_minute=settings.PROCTORING_BROWSER_BATCHES_PER_MINUTE,
    )


def retention_days() -> int:
    return int(settings.PROCTORING_BROWSER_RETENTION_DAYS)


def exam_defaults() -> dict[str, Any]:
    """``PROCTORING_BROWSER_DEFAULTS``: the settings of an exam that has none of its own."""
    return dict(settings.PROCTORING_BROWSER_DEFAULTS)
