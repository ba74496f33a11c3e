"""Recording reviews: a provider's through ``review_record``, course staff's through
``review_by_staff``; what they do to the attempt, the events, credit and query counts."""

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator

from proctoring import api
from proctoring.attempts.actions import attempt_reset
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import (
    AttemptActionNotAllowed,
    ReviewProviderMismatch,
    ReviewReasonRequired,
    SelfReview,
    StudentExamAttemptDoesNotExistsException,
)
from proctoring.outbox.models import Event
from proctoring.outbox.webhooks import event_body
from proctoring.reviews.models import Review, ReviewPolicy
from proctoring.reviews.services import review_by_staff, review_record
from proctoring.reviews.types import ReviewComment, ReviewReport, ReviewStatus
from tests.conftest import committed
from tests.factories import UserFactory
from tests.write_shapes import change_statements

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"
PROVIDER = "null"  # the default provider of the test settings


def report(status="passed", **fields):
    fields.setdefault("raw", {"status": status, "n": fields.pop("n", 0)})
    return ReviewReport(
        provider=fields.pop("provider", PROVIDER), status=ReviewStatus(status), **fields
    )


@pytest.fixture
def submitted(exam, learner):
    """The learner's attempt, proctored, submitted, known to the provider as ``EXT-1``."""
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    Attempt.objects.filter(pk=attempt_id).update(external_id="EXT-1")
    api.update_attempt_status(exam.pk, learner.pk, "started")
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    return Attempt.objects.get(pk=attempt_id)


def status_of(attempt):
    return Attempt.objects.values_list("status", flat=True).get(pk=attempt.pk)


def test_a_passed_review_verifies_the_attempt_and_satisfies_credit(submitted, learner):
    comment = ReviewComment("looked away", status="suspicious", start_seconds=12, stop_seconds=20)
    with committed():
        outcome = review_record(
            external_id="EXT-1",
            report=report("passed", comments=(comment,), reviewer="r@vendor.example"),
        )
    assert (outcome.status, outcome.applied, outcome.flagged) == ("verified", True, False)
    assert status_of(submitted) == "verified"
    review = Review.objects.get(pk=outcome.review_id)
    assert (review.source, review.provider, review.review_status) == ("provider", "null", "passed")
    assert (review.status_before, review.verdict, review.reviewer) == (
        "submitted",
        "verified",
        "r@vendor.example",
    )
    assert review.comments[0]["comment"] == "looked away"
    assert review.comments[0]["start_seconds"] == 12
    last = AttemptHistory.objects.filter(attempt=submitted).last()
    assert (last.from_status, last.to_status, last.cause) == (
        "submitted",
        "verified",
        "provider:null:review",
    )
    credit = CreditRequirementStatus.objects.get(user=learner)
    assert credit.status == "satisfied"


@pytest.mark.parametrize("status", ["violation", "suspicious"])
def test_failing_reviews_reject_unless_the_policy_says_otherwise(submitted, exam, status):
    outcome = review_record(external_id="EXT-1", report=report(status))
    assert outcome.status == "rejected"


def test_the_exam_policy_sends_a_violation_to_a_second_review(submitted, exam):
    ReviewPolicy.objects.create(exam=exam, text="No notes.", on_violation="second_review_required")
    outcome = review_record(external_id="EXT-1", report=report("violation"))
    assert outcome.status == "second_review_required"
    types = list(
        Event.objects.filter(attempt_id=submitted.pk).order_by("id").values_list("type", flat=True)
    )
    assert types[-3:] == ["attempt.status_changed", "review.recorded", "review.attention_needed"]


def test_the_provider_setting_requires_second_reviews_of_failures(submitted, settings):
    settings.PROCTORING_SETTINGS = {"REQUIRE_FAILURE_SECOND_REVIEWS": True}
    assert review_record(external_id="EXT-1", report=report("suspicious")).status == (
        "second_review_required"
    )


def test_a_review_of_an_attempt_never_submitted_errors_it(exam, learner):
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    outcome = review_record(attempt_id=attempt_id, report=report("passed"))
    assert (outcome.status, outcome.applied) == ("error", True)


def test_a_late_review_is_recorded_and_flagged_never_a_silent_flip(submitted):
    review_record(external_id="EXT-1", report=report("passed"))
    with committed():
        outcome = review_record(external_id="EXT-1", report=report("violation"))
    assert (outcome.status, outcome.applied, outcome.flagged) == ("verified", False, True)
    assert status_of(submitted) == "verified"
    assert Review.objects.filter(attempt=submitted, flagged=True).count() == 1
    flagged = Event.objects.filter(attempt_id=submitted.pk).order_by("id").last()
    assert flagged.type == "review.attention_needed"
    assert flagged.payload["flagged"] is True
    assert flagged.payload["provider_review_status"] == "violation"
    sequences = list(
        Event.objects.filter(attempt_id=submitted.pk)
        .order_by("id")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(sequences) + 1))


def test_a_review_of_a_reset_attempt_is_flagged(submitted):
    attempt_reset(attempt_id=submitted.pk, actor_id=None)
    outcome = review_record(external_id="EXT-1", report=report("passed"))
    assert (outcome.flagged, outcome.status) == (True, "submitted")


def test_the_same_review_sent_again_is_a_replay(submitted):
    first = review_record(external_id="EXT-1", report=report("passed"))
    events = Event.objects.count()
    again = review_record(external_id="EXT-1", report=report("passed"))
    assert again.duplicate and again.review_id == first.review_id
    assert Review.objects.filter(attempt=submitted).count() == 1
    assert Event.objects.count() == events


def test_a_review_by_another_provider_is_refused(submitted):
    with pytest.raises(ReviewProviderMismatch):
        review_record(external_id="EXT-1", report=report("passed", provider="other"))
    assert not Review.objects.exists()
    assert status_of(submitted) == "submitted"


def test_an_unknown_provider_id_is_refused(db):
    with pytest.raises(StudentExamAttemptDoesNotExistsException):
        review_record(external_id="nope", report=report("passed"))


def test_a_provider_review_is_four_statements_on_postgresql_five_on_sqlite(submitted):
    """The lock, the review's INSERT, the UPDATE, the history and events (one statement on
    PostgreSQL, tests/write_shapes.py)."""
    with CaptureQueriesContext(connection) as queries:
        review_record(external_id="EXT-1", report=report("passed"))
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    statements = [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2 + change_statements(), statements


def test_staff_review_records_the_reviewer_and_an_override_needs_a_reason(submitted):
    staff = UserFactory(username="reviewer")
    review_by_staff(attempt_id=submitted.pk, verdict="verified", actor_id=staff.pk)
    with pytest.raises(ReviewReasonRequired):
        review_by_staff(attempt_id=submitted.pk, verdict="rejected", actor_id=staff.pk)
    outcome = review_by_staff(
        attempt_id=submitted.pk, verdict="rejected", actor_id=staff.pk, reason="notes on the desk"
    )
    assert outcome.status == "rejected"
    override = Review.objects.get(pk=outcome.review_id)
    assert (override.source, override.reviewer_user_id, override.reason) == (
        "staff",
        staff.pk,
        "notes on the desk",
    )
    last = AttemptHistory.objects.filter(attempt=submitted).last()
    assert (last.cause, last.actor_id) == ("staff:override", staff.pk)
    event = Event.objects.filter(type="review.recorded").order_by("id").last()
    assert event.payload["reason"] == "notes on the desk"


def test_a_staff_verdict_the_attempt_has_is_recorded_without_a_change(submitted):
    """The record's INSERT goes alone when the move changes nothing (rule 4): on PostgreSQL
    the lock (which reads the record's id from its sequence) and the INSERT."""
    staff = UserFactory(username="reviewer")
    first = review_by_staff(attempt_id=submitted.pk, verdict="verified", actor_id=staff.pk)
    history = AttemptHistory.objects.filter(attempt=submitted).count()
    with CaptureQueriesContext(connection) as queries:
        again = review_by_staff(attempt_id=submitted.pk, verdict="verified", actor_id=staff.pk)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    statements = [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements
    assert again.review_id > first.review_id and again.status == "verified"
    kept = Review.objects.get(pk=again.review_id)
    assert (kept.verdict, kept.applied, kept.status_before) == ("verified", False, "verified")
    assert AttemptHistory.objects.filter(attempt=submitted).count() == history


def test_staff_cannot_review_their_own_attempt_or_a_running_one(exam, learner, submitted):
    with pytest.raises(SelfReview):
        review_by_staff(attempt_id=submitted.pk, verdict="verified", actor_id=learner.pk)
    other = UserFactory(username="other")
    api.create_exam_attempt(exam.pk, other.pk)
    running = api.update_attempt_status(exam.pk, other.pk, "started")
    with pytest.raises(AttemptActionNotAllowed):
        review_by_staff(attempt_id=running, verdict="verified", actor_id=learner.pk)


def test_review_events_match_their_schemas(submitted):
    review_record(external_id="EXT-1", report=report("passed"))
    review_record(external_id="EXT-1", report=report("violation", n=2))
    for event in Event.objects.filter(type__startswith="review."):
        schema = json.loads((SCHEMAS / f"{event.type}.v1.schema.json").read_text())
        body = json.loads(json.dumps(event_body(event)))
        assert list(Draft202012Validator(schema).iter_errors(body)) == [], event.type
