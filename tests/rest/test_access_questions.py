"""The platform's questions (issue 15, item 3) over REST and the Python API, with their query
budgets."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.access.rules import exam_rules_set
from proctoring.allowances.models import Allowance, CourseAllowance
from proctoring.attempts.actions import attempt_act, attempt_reset
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.exceptions import AccessCodeInvalid, ExamNotOpen
from tests.attempts.conftest import FakeClock
from tests.factories import ExamFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(T0)
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


def _content(world, persona="learner", query=""):
    return client_for(world, persona).get(f"/api/v1/exams/{world.exam.pk}/content-access{query}")


def test_content_is_visible_during_a_running_attempt_only(world, clock):
    assert _content(world).json()["reason"] == "not_started"
    attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    assert _content(world).json() == {
        "visible": True,
        "reason": "running",
        "message": "Your attempt is running.",
    }


def test_content_after_submission_follows_the_exams_setting(world, clock):
    attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    attempt_act(attempt_id=world.attempt.pk, action="submit", actor_id=world.learner.pk)
    assert _content(world).json()["visible"] is True
    exam_rules_set(exam=world.exam, changes={"content_after_submission": "hidden"})
    assert _content(world).json()["reason"] == "submitted_hidden"


def test_content_is_hidden_from_the_learners_due_date_when_the_exam_says_so(world, clock):
    world.exam.due_date = T0 + timedelta(seconds=1)
    world.exam.hide_after_due = True
    world.exam.save()
    attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    attempt_act(attempt_id=world.attempt.pk, action="submit", actor_id=world.learner.pk)
    assert _content(world).json()["visible"] is True
    clock.set(T0 + timedelta(seconds=1))
    assert _content(world).json()["reason"] == "past_due"
    # A learner with a later due date still sees it.
    Allowance.objects.create(
        exam=world.exam,
        user=world.learner,
        key="due_date_extension",
        value=(T0 + timedelta(days=1)).isoformat(),
    )
    assert _content(world).json()["visible"] is True


def test_only_staff_and_platforms_ask_about_another_learner(world, clock):
    assert _content(world, "other_learner", "?username=alice").status_code == 403
    assert _content(world, "staff", "?username=alice").status_code == 200
    assert _content(world, "service", "?username=alice").status_code == 200
    assert _content(world, "service").status_code == 400
    assert _content(world, "other_staff").json()["code"] == "not_enrolled"


def test_the_python_api_answers_the_same(world, clock):
    answer = api.get_exam_content_access(world.exam.pk, world.learner.pk)
    assert answer == {
        "visible": False,
        "reason": "not_started",
        "message": "Start the exam to see its content.",
    }


def _summary(world, persona="learner", query=""):
    response = client_for(world, persona).get(f"/api/v1/courses/{COURSE_ID}/exams/summary{query}")
    assert response.status_code == 200, response.content
    return {item["exam_id"]: item for item in response.json()}


def test_the_course_summary_tells_status_time_left_window_and_next_step(world, clock):
    upcoming = ExamFactory(course=world.course, due_date=T0 + timedelta(days=2))
    exam_rules_set(exam=upcoming, changes={"opens_at": T0 + timedelta(days=1)})
    closed = ExamFactory(course=world.course, due_date=T0 - timedelta(days=1))
    ExamFactory(course=world.course, is_active=False)
    attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    clock.advance(minutes=10)
    summary = _summary(world)
    assert len(summary) == 3  # the inactive exam is left out
    running = summary[world.exam.pk]
    assert running["status"] == "started"
    assert running["next_step"] == "continue"
    assert running["time_remaining_seconds"] == 50 * 60
    assert summary[upcoming.pk]["next_step"] == "wait"
    assert summary[upcoming.pk]["opens_at"] == "2030-06-02T12:00:00Z"
    assert "2030-06-02T12:00:00+00:00" in summary[upcoming.pk]["message"]
    assert summary[closed.pk]["next_step"] == "closed"
    assert summary[closed.pk]["status"] == "not_started"


def test_the_summary_follows_the_retake_policy(world, clock):
    attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="started")
    attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="verified")
    attempt_reset(attempt_id=world.attempt.pk, actor_id=world.staff.pk)
    second = attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="started")
    attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="rejected")
    latest = _summary(world)[world.exam.pk]
    assert (latest["status"], latest["attempt_id"]) == ("rejected", second.pk)
    assert latest["attempts_used"] == 2
    exam_rules_set(exam=world.exam, changes={"retake_policy": "highest", "max_attempts": 3})
    highest = _summary(world)[world.exam.pk]
    assert (highest["status"], highest["attempt_id"]) == ("verified", world.attempt.pk)
    assert highest["attempts_allowed"] == 3


@pytest.mark.parametrize("exams", [1, 50])
def test_the_summary_of_a_course_takes_two_statements_whatever_its_size(world, clock, exams):
    for index in range(exams - 1):
        exam = ExamFactory(course=world.course)
        exam_rules_set(exam=exam, changes={"max_attempts": 2})
        if index % 2:
            attempt_create(exam_id=exam.pk, user_id=world.learner.pk)
    CourseAllowance.objects.create(
        course=world.course,
        user=world.learner,
        key="due_date_extension",
        value="2031-01-01T00:00:00+00:00",
    )
    with CaptureQueriesContext(connection) as queries:
        summary = api.get_course_exam_summary(COURSE_ID, world.learner.pk)
    assert len(summary) == exams
    assert len(queries.captured_queries) <= 3
    assert len(queries.captured_queries) == 2


def test_the_learner_settings(world, clock):
    exam_rules_set(
        exam=world.exam,
        changes={
            "rules_text": "No notes.",
            "contacts": ["Proctor desk, room 101"],
            "escalation_email": "proctoring@example.org",
            "support_links": [{"title": "Help", "url": "https://help.example.org"}],
            "allowed_ip_ranges": ["10.0.0.0/8"],
        },
        access_code="letmein",
    )
    response = client_for(world, "learner").get(f"/api/v1/exams/{world.exam.pk}/learner-settings")
    assert response.status_code == 200
    body = response.json()
    assert body["rules_text"] == "No notes."
    assert body["escalation_email"] == "proctoring@example.org"
    assert body["support_links"] == [{"title": "Help", "url": "https://help.example.org"}]
    assert body["requires_access_code"] is True
    assert body["ip_restricted"] is True
    assert "letmein" not in response.content.decode()
    assert api.get_exam_learner_settings(world.exam.pk)["contacts"] == ["Proctor desk, room 101"]


def test_staff_see_a_learners_accommodations_in_one_place(world, clock):
    staff = client_for(world, "staff")
    staff.put(
        f"/api/v1/courses/{COURSE_ID}/allowances/groups/room-2",
        {"usernames": ["alice"]},
        format="json",
    )
    staff.put(
        f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/groups/room-2",
        {"opens_at": "2030-06-01T08:00:00Z"},
        format="json",
    )
    Allowance.objects.create(exam=world.exam, user=world.learner, key="time_multiplier", value="2")
    CourseAllowance.objects.create(
        course=world.course, user=world.learner, key="additional_time_granted", value="15"
    )
    exam_rules_set(exam=world.exam, changes={}, access_code="letmein")
    with pytest.raises(AccessCodeInvalid):
        api.start_exam_attempt(world.exam.pk, world.learner.pk, access_code="nope")
    response = staff.get(f"/api/v1/courses/{COURSE_ID}/allowances/learners/alice")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["course_profile"] == {"additional_time_granted": "15"}
    assert body["groups"] == ["room-2"]
    exam = body["exams"][0]
    assert exam["allowances"] == {"time_multiplier": "2"}
    assert exam["group_window"] == {"opens_at": "2030-06-01T08:00:00+00:00 (room-2)"}
    assert exam["opens_at"] == "2030-06-01T08:00:00Z"
    assert exam["last_gate_pass"]["outcome"] == "access_code_invalid"
    assert (
        client_for(world, "learner")
        .get(f"/api/v1/courses/{COURSE_ID}/allowances/learners/alice")
        .status_code
        == 403
    )


def test_the_python_api_start_passes_the_gates(world, clock):
    exam_rules_set(exam=world.exam, changes={"opens_at": T0 + timedelta(seconds=1)})
    with pytest.raises(ExamNotOpen):
        api.start_exam_attempt(world.exam.pk, world.learner.pk)
    clock.advance(seconds=1)
    attempt_id = api.start_exam_attempt(world.exam.pk, world.learner.pk)
    assert attempt_id == world.attempt.pk
    assert api.get_exam_attempt_by_id(attempt_id)["status"] == "started"
    # A learner without an attempt gets one, started.
    bob = api.start_exam_attempt(world.exam.pk, world.other_learner.pk)
    assert api.get_exam_attempt_by_id(bob)["status"] == "started"
