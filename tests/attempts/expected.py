"""The status table of DESIGN.md 2.1, written out by hand: the tests' own oracle, kept apart
from proctoring/attempts/statuses.py so that a mistake there cannot hide in both."""

ALL_STATUSES = [
    "created",
    "download_software_clicked",
    "ready_to_start",
    "started",
    "ready_to_submit",
    "declined",
    "timed_out",
    "submitted",
    "second_review_required",
    "verified",
    "rejected",
    "error",
    "expired",
    "onboarding_missing",
    "onboarding_pending",
    "onboarding_failed",
    "onboarding_expired",
    "onboarding_reset",  # neither completed nor incomplete, as in the reference
]
INCOMPLETE = frozenset(
    {"created", "download_software_clicked", "ready_to_start", "started", "ready_to_submit"}
)
COMPLETED = frozenset(
    {
        "declined",
        "timed_out",
        "submitted",
        "second_review_required",
        "verified",
        "rejected",
        "error",
        "onboarding_missing",
        "onboarding_pending",
        "onboarding_failed",
        "onboarding_expired",
    }
)
CREDIT = {
    "declined": "failed",
    "submitted": "submitted",
    "verified": "satisfied",
    "rejected": "failed",
    "error": "failed",
}
EMAIL = frozenset({"submitted", "verified", "rejected"})
CASCADES = frozenset({"declined"})


def is_illegal(from_status: str, to_status: str) -> bool:
    """From a completed status there is no way back to an incomplete one, nor to ``error``."""
    return from_status in COMPLETED and (to_status in INCOMPLETE or to_status == "error")
