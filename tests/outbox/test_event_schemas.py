"""Every event the service emits matches its documented JSON Schema (docs/events/)."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from proctoring import api
from proctoring.allowances.services import allowance_grant, allowance_revoke
from proctoring.attempts.actions import attempt_reset, attempt_review
from proctoring.attempts.time_changes import attempt_add_time, attempt_pause, attempt_resume
from proctoring.core.events import EVENT_TYPES
from proctoring.outbox.models import Event
from proctoring.outbox.webhooks import event_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"


def schema(event_type):
    return json.loads((SCHEMAS / f"{event_type}.v1.schema.json").read_text())


def test_every_event_type_has_a_valid_schema_in_docs():
    for event_type in EVENT_TYPES:
        Draft202012Validator.check_schema(schema(event_type))
    assert sorted(path.name for path in SCHEMAS.glob("*.json")) == sorted(
        f"{event_type}.v1.schema.json" for event_type in EVENT_TYPES
    )


def test_the_events_of_a_whole_life_match_their_schemas(course, exam, learner, clock):
    staff = UserFactory(username="reviewer")
    exam_id = api.create_exam(course.course_id, "schema", "Schema exam", 60)
    api.update_exam(exam_id, time_limit_mins=90, due_date=clock.moment.replace(year=2031))
    allowance_grant(exam=exam, user_id=learner.pk, key="additional_time_granted", value="10")
    allowance_revoke(exam=exam, user_id=learner.pk, key="additional_time_granted")
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    attempt_add_time(attempt_id=attempt_id, minutes=5, actor_id=None, reason="incident")
    attempt_pause(attempt_id=attempt_id, actor_id=None)
    attempt_resume(attempt_id=attempt_id, actor_id=None)
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    attempt_review(attempt_id=attempt_id, status="second_review_required", actor_id=staff.pk)
    attempt_review(attempt_id=attempt_id, status="verified", actor_id=None)
    attempt_reset(attempt_id=attempt_id, actor_id=None)
    events = list(Event.objects.order_by("id"))
    assert {event.type for event in events} == set(EVENT_TYPES)
    for event in events:
        body = json.loads(json.dumps(event_body(event)))
        errors = list(Draft202012Validator(schema(event.type)).iter_errors(body))
        assert errors == [], (event.type, [error.message for error in errors])
    sequences = [event.sequence for event in events if event.attempt_id == attempt_id]
    assert sequences == list(range(1, len(sequences) + 1))


def test_a_review_verdict_tells_its_status_the_review_and_a_call_for_attention(
    exam, learner, clock
):
    """One status change, one review, and for a second review a call for staff attention, in
    the attempt's sequence, written in the transition's one INSERT of events."""
    staff = UserFactory(username="reviewer")
    attempt_id = api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    attempt_review(attempt_id=attempt_id, status="second_review_required", actor_id=staff.pk)
    events = list(Event.objects.filter(attempt_id=attempt_id).order_by("id"))
    assert [(e.type, e.sequence) for e in events[-3:]] == [
        ("attempt.status_changed", 3),
        ("review.recorded", 4),
        ("review.attention_needed", 5),
    ]
    assert events[-2].payload["reviewer_id"] == staff.pk
    assert events[-2].payload["review_status"] == "second_review_required"
    attempt_review(attempt_id=attempt_id, status="verified", actor_id=staff.pk)
    events = list(Event.objects.filter(attempt_id=attempt_id).order_by("id"))
    assert [(e.type, e.sequence) for e in events[-2:]] == [
        ("attempt.status_changed", 6),
        ("review.recorded", 7),
    ]
