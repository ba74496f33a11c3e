"""The review rules, status by status (pure: no database)."""

import pytest

from proctoring.attempts.statuses import AttemptStatus as S
from proctoring.exceptions import (
    AttemptActionNotAllowed,
    InvalidAttemptStatus,
    ReviewReasonRequired,
)
from proctoring.reviews.rules import provider_review_decision, staff_review_decision
from proctoring.reviews.types import ReviewStatus as R


def decide(status, attempt_status, **options):
    options.setdefault("second_review", False)
    options.setdefault("archived", False)
    return provider_review_decision(status=status, attempt_status=attempt_status, **options)


@pytest.mark.parametrize(
    ("review", "verdict"),
    [
        (R.PASSED, S.VERIFIED),
        (R.VIOLATION, S.REJECTED),
        (R.SUSPICIOUS, S.REJECTED),
        (R.NOT_REVIEWED, S.SECOND_REVIEW_REQUIRED),
    ],
)
@pytest.mark.parametrize("awaiting", [S.SUBMITTED, S.SECOND_REVIEW_REQUIRED])
def test_a_submitted_attempt_takes_the_verdict_of_its_review(review, verdict, awaiting):
    decision = decide(review, awaiting)
    assert (decision.verdict, decision.flagged) == (verdict, False)


def test_the_exam_policy_decides_what_violation_and_suspicious_lead_to():
    policy = {"on_violation": S.VERIFIED, "on_suspicious": S.SECOND_REVIEW_REQUIRED}
    assert decide(R.VIOLATION, S.SUBMITTED, **policy).verdict == S.VERIFIED
    assert decide(R.SUSPICIOUS, S.SUBMITTED, **policy).verdict == S.SECOND_REVIEW_REQUIRED
    assert decide(R.PASSED, S.SUBMITTED, **policy).verdict == S.VERIFIED


def test_a_provider_asking_for_a_second_review_gets_it_whatever_its_verdict():
    for review in R:
        decision = decide(review, S.SUBMITTED, second_review=True)
        assert decision.verdict == S.SECOND_REVIEW_REQUIRED


def test_required_second_reviews_turn_rejections_into_second_reviews():
    assert decide(R.VIOLATION, S.SUBMITTED, require_second_reviews=True).verdict == (
        S.SECOND_REVIEW_REQUIRED
    )
    assert decide(R.PASSED, S.SUBMITTED, require_second_reviews=True).verdict == S.VERIFIED


@pytest.mark.parametrize(
    "never_submitted", [S.CREATED, S.DOWNLOAD_SOFTWARE_CLICKED, S.READY_TO_START, S.STARTED]
)
def test_a_review_of_an_attempt_never_submitted_is_an_error(never_submitted):
    decision = decide(R.PASSED, never_submitted)
    assert (decision.verdict, decision.flagged) == (S.ERROR, False)


@pytest.mark.parametrize(
    "ended", [S.VERIFIED, S.REJECTED, S.DECLINED, S.TIMED_OUT, S.ERROR, S.ONBOARDING_MISSING]
)
def test_a_review_after_the_end_is_flagged_and_changes_nothing(ended):
    for review in R:
        decision = decide(review, ended)
        assert (decision.verdict, decision.flagged) == (None, True)


def test_a_review_of_a_reset_attempt_is_flagged():
    decision = decide(R.PASSED, S.SUBMITTED, archived=True)
    assert (decision.verdict, decision.flagged) == (None, True)


def test_staff_review_an_attempt_awaiting_review_without_a_reason():
    assert staff_review_decision(
        verdict="verified", attempt_status=S.SUBMITTED, reason=""
    ).verdict == (S.VERIFIED)


def test_staff_overriding_a_verdict_must_give_a_reason():
    with pytest.raises(ReviewReasonRequired):
        staff_review_decision(verdict="rejected", attempt_status=S.VERIFIED, reason="  ")
    decision = staff_review_decision(verdict="rejected", attempt_status=S.VERIFIED, reason="notes")
    assert (decision.verdict, decision.why) == (S.REJECTED, "override")
    # The same verdict again is no override.
    assert staff_review_decision(verdict="verified", attempt_status=S.VERIFIED, reason="").verdict


def test_staff_verdicts_are_checked():
    with pytest.raises(InvalidAttemptStatus):
        staff_review_decision(verdict="started", attempt_status=S.SUBMITTED, reason="")
    with pytest.raises(AttemptActionNotAllowed):
        staff_review_decision(verdict="verified", attempt_status=S.STARTED, reason="")
