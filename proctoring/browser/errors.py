"""The refusals of browser proctoring, each with its HTTP status (the ingest endpoint answers
them as JSON, the pages as error pages)."""

from __future__ import annotations

from proctoring.exceptions import ProctoringError


class BatchInvalid(ProctoringError):
    http_status = 400
    code = "batch_invalid"
    default_message = "The batch is not valid."


class BatchTooLarge(ProctoringError):
    http_status = 413
    code = "batch_too_large"
    default_message = "The batch is too large."


class BatchRateLimited(ProctoringError):
    http_status = 429
    code = "batch_rate_limited"
    default_message = "Too many batches for this attempt: wait a moment."


class AttemptNotRunning(ProctoringError):
    http_status = 409
    code = "attempt_not_running"
    default_message = "The attempt is not running: nothing is recorded for it."


class AttemptEnded(ProctoringError):
    http_status = 410
    code = "attempt_ended"
    default_message = "The attempt has ended: nothing more is recorded for it."


class ConsentInvalid(ProctoringError):
    http_status = 400
    code = "consent_invalid"
    default_message = "The consent could not be recorded."
