"""What a review does to its attempt: pure rules, no database.

A provider's review (``provider_review_decision``):

- of an attempt awaiting review (submitted, or second review required): ``passed`` verifies it;
  ``violation`` and ``suspicious`` reject it, unless the exam's review policy sends them to
  verified or to a second review; ``not_reviewed`` asks for a second review (a human must
  decide: the seed's rule 3 forbids ``error`` after a submission); a provider asking for a
  second review gets it; with the provider setting ``REQUIRE_FAILURE_SECOND_REVIEWS`` (the
  reference's), a rejection becomes a second review;
- of an attempt never submitted (still created, ready, started or ready to submit): ``error``;
- of an attempt already verified or rejected, otherwise ended, or archived by a reset: nothing
  changes, and the review is flagged for course staff.

A staff member's review (``staff_review_decision``) verifies or rejects an attempt awaiting
review, or overrides a verdict given, which needs a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from proctoring.attempts.statuses import (
    REVIEWABLE_STATUSES,
    AttemptStatus,
    is_incomplete_status,
)
from proctoring.exceptions import (
    AttemptActionNotAllowed,
    InvalidAttemptStatus,
    ReviewReasonRequired,
)
from proctoring.reviews.types import ReviewStatus

S = AttemptStatus
AWAITING_REVIEW = frozenset({S.SUBMITTED, S.SECOND_REVIEW_REQUIRED})
FINAL_VERDICTS = frozenset({S.VERIFIED, S.REJECTED})
STAFF_VERDICTS = frozenset({S.VERIFIED, S.REJECTED, S.SECOND_REVIEW_REQUIRED})


@dataclass(frozen=True)
class Decision:
    """The status a review moves its attempt to (None: none), and whether staff must look."""

    verdict: AttemptStatus | None
    flagged: bool = False
    why: str = ""


def provider_review_decision(
    *,
    status: ReviewStatus,
    second_review: bool,
    attempt_status: str,
    archived: bool,
    on_violation: str = S.REJECTED,
    on_suspicious: str = S.REJECTED,
    require_second_reviews: bool = False,
) -> Decision:
    if archived:
        return Decision(None, flagged=True, why="the attempt was reset before its review came")
    if attempt_status in FINAL_VERDICTS:
        return Decision(None, flagged=True, why=f"the attempt is already {attempt_status}")
    if is_incomplete_status(attempt_status):
        return Decision(S.ERROR, why="reviewed before it was submitted")
    if attempt_status not in AWAITING_REVIEW:
        return Decision(None, flagged=True, why=f"the attempt ended {attempt_status}")
    verdict = _verdict(status, on_violation=on_violation, on_suspicious=on_suspicious)
    if second_review or (require_second_reviews and verdict == S.REJECTED):
        verdict = S.SECOND_REVIEW_REQUIRED
    return Decision(verdict, why=f"the provider's review: {status}")


def _verdict(status: ReviewStatus, *, on_violation: str, on_suspicious: str) -> AttemptStatus:
    if status == ReviewStatus.PASSED:
        return S.VERIFIED
    if status == ReviewStatus.VIOLATION:
        return S(on_violation)
    if status == ReviewStatus.SUSPICIOUS:
        return S(on_suspicious)
    return S.SECOND_REVIEW_REQUIRED  # not_reviewed


def staff_review_decision(*, verdict: str, attempt_status: str, reason: str) -> Decision:
    """Course staff's verdict: ``verified``, ``rejected`` or ``second_review_required``, on an
    attempt awaiting review; changing a final verdict (an override) needs a reason."""
    try:
        target = S(verdict)
    except ValueError:
        target = None
    if target not in STAFF_VERDICTS:
        raise InvalidAttemptStatus(
            f"{verdict!r} is not a review verdict: use one of {', '.join(sorted(STAFF_VERDICTS))}."
        )
    if attempt_status not in REVIEWABLE_STATUSES:
        raise AttemptActionNotAllowed(
            f"An attempt that is {attempt_status} cannot be reviewed: it must be one of "
            f"{', '.join(sorted(REVIEWABLE_STATUSES))}."
        )
    overrides = attempt_status in FINAL_VERDICTS and target != attempt_status
    if overrides and not reason.strip():
        raise ReviewReasonRequired(
            f"The attempt is already {attempt_status}: overriding that verdict needs a reason."
        )
    return Decision(target, why="override" if overrides else "staff review")
