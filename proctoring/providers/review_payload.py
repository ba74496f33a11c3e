"""The reference's review payload, as a vendor posts it to ``.../reviewed``, read into the
reviews app's ``ReviewReport``.

``{"status": "passed" | "violation" | "suspicious" | "not_reviewed", "comments": [{"comment",
"status", "start", "stop", "duration"}], "reviewed_by": "...", "video_url": "...",
"second_review_required": false}``; the reference's ``videoReviewLink`` (top level or under
``payload``) is read as the video link, and ``second_review`` as the second-review request.
"""

from __future__ import annotations

from typing import Any

from proctoring.exceptions import InvalidCallback
from proctoring.reviews.types import ReviewComment, ReviewReport, ReviewStatus

VIDEO_KEYS = ("video_url", "videoReviewLink")


def _seconds(comment: dict[str, Any], name: str, index: int) -> float | None:
    value = comment.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidCallback(f"comments.{index}.{name} must be a number of seconds.")
    return float(value)


def _comments(value: Any) -> tuple[ReviewComment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidCallback("comments must be a list.")
    comments = []
    for index, comment in enumerate(value):
        if not isinstance(comment, dict) or not isinstance(comment.get("comment"), str):
            raise InvalidCallback(f"comments.{index} must be an object with a comment (text).")
        comments.append(
            ReviewComment(
                comment=comment["comment"],
                status=str(comment.get("status") or ""),
                start_seconds=_seconds(comment, "start", index),
                stop_seconds=_seconds(comment, "stop", index),
                duration_seconds=_seconds(comment, "duration", index),
            )
        )
    return tuple(comments)


def _video_url(payload: dict[str, Any]) -> str:
    nested = payload.get("payload")
    for source in (payload, nested if isinstance(nested, dict) else {}):
        for key in VIDEO_KEYS:
            if isinstance(source.get(key), str):
                return str(source[key])
    return ""


def _without_video(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload to keep: the video link is kept apart, not in the raw payload."""
    raw = {key: value for key, value in payload.items() if key not in VIDEO_KEYS}
    nested = raw.get("payload")
    if isinstance(nested, dict):
        raw["payload"] = {key: value for key, value in nested.items() if key not in VIDEO_KEYS}
    return raw


def review_report_parse(*, alias: str, payload: dict[str, Any]) -> ReviewReport:
    """The review a provider sent; ``InvalidCallback`` (400) when the payload is not one."""
    status = payload.get("status")
    valid = [str(choice) for choice in ReviewStatus]
    if status not in valid:
        raise InvalidCallback(f"status must be one of {', '.join(valid)}, got {status!r}.")
    reviewer = payload.get("reviewed_by") or ""
    if not isinstance(reviewer, str):
        raise InvalidCallback("reviewed_by must be text (the reviewer's email).")
    second = payload.get("second_review_required", payload.get("second_review", False))
    if not isinstance(second, bool):
        raise InvalidCallback("second_review_required must be true or false.")
    return ReviewReport(
        provider=alias,
        status=ReviewStatus(status),
        comments=_comments(payload.get("comments")),
        reviewer=reviewer,
        video_url=_video_url(payload),
        second_review=second,
        raw=_without_video(payload),
    )
