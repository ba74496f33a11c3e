"""What crosses into the reviews app: a provider's review, normalized from its wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ReviewStatus(StrEnum):
    """A provider's verdict, as the reference's REST backend contract names them."""

    PASSED = "passed"  # nothing wrong seen
    VIOLATION = "violation"  # a rule of the exam was broken
    SUSPICIOUS = "suspicious"  # something looks wrong; a human should decide
    NOT_REVIEWED = "not_reviewed"  # the provider could not review (no recording, ...)


@dataclass(frozen=True)
class ReviewComment:
    """One remark of a reviewer, with the time span of the recording it is about."""

    comment: str
    status: str = ""
    start_seconds: float | None = None
    stop_seconds: float | None = None
    duration_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "comment": self.comment,
            "status": self.status,
            "start_seconds": self.start_seconds,
            "stop_seconds": self.stop_seconds,
            "duration_seconds": self.duration_seconds,
        }


@dataclass(frozen=True)
class ReviewReport:
    """A provider's review of one attempt.

    ``second_review`` is the provider asking for a human's second look; ``raw`` is the payload
    as it arrived (kept with the review, the video link left out of it).
    """

    provider: str
    status: ReviewStatus
    comments: tuple[ReviewComment, ...] = ()
    reviewer: str = ""
    video_url: str = ""
    second_review: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
