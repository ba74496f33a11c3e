"""An exam's review policy, as course staff set it: the rules the provider's reviewers apply
(``text``) and what a ``violation`` or ``suspicious`` review does to an attempt (the review
rules read it when a review arrives, reviews/services.py)."""

from __future__ import annotations

from proctoring.exceptions import ProctoringError
from proctoring.reviews.models import FAILING_OUTCOMES, ReviewPolicy

OUTCOMES = frozenset(value for value, _label in FAILING_OUTCOMES)
MAX_TEXT_LENGTH = 10_000


class InvalidReviewPolicy(ProctoringError):
    code = "invalid_review_policy"
    default_message = "The review policy is not valid."


def review_policy_get(*, exam_id: int) -> ReviewPolicy | None:
    return ReviewPolicy.objects.filter(exam_id=exam_id).first()


def review_policy_set(
    *, exam_id: int, text: str, on_violation: str, on_suspicious: str
) -> ReviewPolicy:
    """Create or change the exam's policy; ``InvalidReviewPolicy`` for an outcome that is not
    one of rejected, second_review_required, verified, or a text too long."""
    for name, value in (("on_violation", on_violation), ("on_suspicious", on_suspicious)):
        if value not in OUTCOMES:
            raise InvalidReviewPolicy(
                f"{name} must be one of {', '.join(sorted(OUTCOMES))}, not {value!r}."
            )
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidReviewPolicy(f"The policy's text is at most {MAX_TEXT_LENGTH} characters.")
    policy, _created = ReviewPolicy.objects.update_or_create(
        exam_id=exam_id,
        defaults={"text": text, "on_violation": on_violation, "on_suspicious": on_suspicious},
    )
    return policy
