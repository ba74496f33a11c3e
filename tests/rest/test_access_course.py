"""A course's exams registered in one call (issue 15, item 4), course-wide accommodation
profiles and "extend everyone" (item 5)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.allowances.models import Allowance
from proctoring.attempts.actions import attempt_act
from proctoring.attempts.models import Attempt, AttemptTimeChange
from proctoring.attempts.services import attempt_create
from proctoring.core.events import EXAM_CHANGED
from proctoring.exams.models import Exam
from proctoring.outbox.models import Event
from tests.attempts.conftest import FakeClock
from tests.factories import ExamFactory, UserFactory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
REGISTER = f"/api/v1/courses/{COURSE_ID}/exams/register"


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(T0)
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


def _listed(*extra):
    return [
        {"content_id": "midterm", "exam_name": "Midterm", "time_limit_mins": 60},
        {
            "content_id": "final",
            "exam_name": "Final",
            "time_limit_mins": 120,
            "due_date": "2030-07-01T17:00:00+02:00",
        },
        *extra,
    ]


def test_registering_creates_updates_deactivates_and_answers_what_changed(world):
    dropped = ExamFactory(course=world.course, content_id="quiz-1")
    platform = client_for(world, "service")
    first = platform.post(REGISTER, {"exams": _listed()}, format="json")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["created"] == ["final"]
    assert body["unchanged"] == ["midterm"]
    assert body["deactivated"] == ["quiz-1"]
    assert body["updated"] == []
    final = Exam.objects.get(course_id=COURSE_ID, content_id="final")
    assert body["exam_ids"] == {"midterm": world.exam.pk, "final": final.pk}
    assert final.due_date == datetime(2030, 7, 1, 15, 0, tzinfo=UTC)
    dropped.refresh_from_db()
    assert dropped.is_active is False
    # The same list again changes nothing.
    events = Event.objects.filter(type=EXAM_CHANGED).count()
    again = platform.post(REGISTER, {"exams": _listed()}, format="json").json()
    assert again["created"] == again["updated"] == again["deactivated"] == []
    assert sorted(again["unchanged"]) == ["final", "midterm"]
    assert Event.objects.filter(type=EXAM_CHANGED).count() == events
    # A change, and a return of the dropped exam.
    renamed = _listed({"content_id": "quiz-1", "exam_name": "Quiz", "time_limit_mins": 10})
    renamed[0]["exam_name"] = "Midterm exam"
    third = platform.post(REGISTER, {"exams": renamed}, format="json").json()
    assert sorted(third["updated"]) == ["midterm", "quiz-1"]
    dropped.refresh_from_db()
    assert dropped.is_active is True


def test_each_change_is_an_exam_changed_event_for_the_providers(world):
    client_for(world, "service").post(REGISTER, {"exams": _listed()}, format="json")
    payloads = [e.payload for e in Event.objects.filter(type=EXAM_CHANGED).order_by("id")]
    assert [p["content_id"] for p in payloads] == ["final"]


def test_a_bad_list_changes_nothing(world):
    platform = client_for(world, "service")
    twice = _listed({"content_id": "midterm", "exam_name": "Again", "time_limit_mins": 5})
    response = platform.post(REGISTER, {"exams": twice}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "exam_listed_twice"
    bad = platform.post(REGISTER, {"exams": [{"content_id": "x"}]}, format="json")
    assert bad.status_code == 400
    assert Exam.objects.filter(course_id=COURSE_ID).count() == 1
    assert (
        client_for(world, "learner").post(REGISTER, {"exams": []}, format="json").status_code == 403
    )


def test_the_python_api_registers_too(world):
    result = api.register_course_exams(
        COURSE_ID, [{"content_id": "midterm", "exam_name": "Midterm", "time_limit_mins": 60}]
    )
    assert result["unchanged"] == ["midterm"]
    with pytest.raises(Exception, match="not valid"):
        api.register_course_exams(COURSE_ID, [{"content_id": "x", "colour": "red"}])


# Course-wide accommodation profiles.


def _profile(world, **body):
    staff = client_for(world, "staff")
    return staff.put(f"/api/v1/courses/{COURSE_ID}/allowances/profiles/alice", body, format="json")


def test_a_course_profile_applies_to_every_exam_present_and_future(world, clock):
    response = _profile(world, time_multiplier="1.5")
    assert response.json() == {"time_multiplier": "1.5"}
    later_exam = ExamFactory(course=world.course, time_limit_mins=40)  # created afterwards
    started = attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    assert started.allowed_time_seconds == 90 * 60
    second = attempt_create(exam_id=later_exam.pk, user_id=world.learner.pk)
    second = attempt_act(attempt_id=second.pk, action="start", actor_id=world.learner.pk)
    assert second.allowed_time_seconds == 60 * 60
    # Bob has no profile.
    bob = attempt_create(exam_id=later_exam.pk, user_id=world.other_learner.pk)
    bob = attempt_act(attempt_id=bob.pk, action="start", actor_id=world.other_learner.pk)
    assert bob.allowed_time_seconds == 40 * 60


def test_an_exam_allowance_overrides_the_profile(world, clock):
    _profile(world, time_multiplier="2")
    Allowance.objects.create(
        exam=world.exam, user=world.learner, key="time_multiplier", value="1.25"
    )
    started = attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    assert started.allowed_time_seconds == 75 * 60


def test_a_profiles_later_due_date_lets_the_learner_start(world, clock):
    world.exam.due_date = T0
    world.exam.save()
    alice = client_for(world, "learner")
    start = f"/api/v1/attempts/{world.attempt.pk}/start"
    assert alice.post(start).json()["code"] == "exam_past_due"
    _profile(world, due_date_extension=(T0 + timedelta(minutes=30)).isoformat())
    started = alice.post(start)
    assert started.status_code == 200
    assert started.json()["deadline_at"] == "2030-06-01T12:30:00Z"


def test_a_profile_change_moves_a_running_deadline(world, clock):
    attempt_act(attempt_id=world.attempt.pk, action="start", actor_id=world.learner.pk)
    _profile(world, additional_time_granted="30")
    attempt = Attempt.objects.get(pk=world.attempt.pk)
    assert attempt.deadline_at == T0 + timedelta(minutes=90)
    assert _profile(world, additional_time_granted=None).json() == {}
    assert Attempt.objects.get(pk=world.attempt.pk).deadline_at == T0 + timedelta(minutes=60)


def test_bad_profiles_are_refused(world):
    assert _profile(world, time_multiplier="0.5").json()["fields"]["time_multiplier"]
    assert _profile(world, review_policy_exception="x").status_code == 400
    staff = client_for(world, "staff")
    own = staff.put(
        f"/api/v1/courses/{COURSE_ID}/allowances/profiles/carol",
        {"time_multiplier": "2"},
        format="json",
    )
    assert own.json()["code"] == "self_allowance"


# Extend everyone.


def _running(world, count):
    attempts = [world.attempt]
    for index in range(count - 1):
        user = UserFactory(username=f"learner-{index}")
        attempts.append(attempt_create(exam_id=world.exam.pk, user_id=user.pk))
    for attempt in attempts:
        attempt_act(attempt_id=attempt.pk, action="start", actor_id=attempt.user_id)
    return attempts


def test_extend_everyone_adds_time_to_every_running_attempt_with_its_reason(world, clock):
    attempts = _running(world, 3)
    attempt_act(attempt_id=attempts[2].pk, action="submit", actor_id=attempts[2].user_id)
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/extend"
    response = staff.post(path, {"minutes": 15, "reason": "Fire alarm"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["attempt_ids"] == [attempts[0].pk, attempts[1].pk]
    for attempt in attempts[:2]:
        attempt.refresh_from_db()
        assert attempt.deadline_at == T0 + timedelta(minutes=75)
        change = AttemptTimeChange.objects.get(attempt=attempt)
        assert (change.reason, change.seconds, change.actor_id) == (
            "Fire alarm",
            900,
            world.staff.pk,
        )
    assert not AttemptTimeChange.objects.filter(attempt=attempts[2]).exists()
    events = Event.objects.filter(type="attempt.time_changed")
    assert events.count() == 2


def test_extend_everyone_needs_a_reason_and_staff(world, clock):
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/extend"
    staff = client_for(world, "staff")
    assert staff.post(path, {"minutes": 15}, format="json").status_code == 400
    assert staff.post(path, {"minutes": 15, "reason": " "}, format="json").status_code == 400
    learner = client_for(world, "learner")
    assert learner.post(path, {"minutes": 15, "reason": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("count", [1, 30])
def test_extend_everyone_takes_a_fixed_number_of_statements(world, clock, count):
    _running(world, count)
    with CaptureQueriesContext(connection) as queries:
        extended = api.extend_exam_time(world.exam.pk, 5, "Network outage")
    assert len(extended) == count
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split(" ", 1)[0] not in {"SAVEPOINT", "RELEASE"}
    ]
    assert len(statements) == 4, statements
