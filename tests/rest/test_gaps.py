"""Behaviours that mutation testing found unpinned (/work/shared/TEST-GAPS.md), pinned through
the REST API, with the Python API and the models to set the scene. Nothing here imports the
internals of ``proctoring.attempts`` (services, timekeeping, statuses...).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from proctoring import api
from proctoring.attempts.models import Attempt, AttemptTimeChange
from tests.attempts.conftest import FakeClock
from tests.factories import CourseFactory, ExamFactory
from tests.rest.conftest import client_for

pytestmark = pytest.mark.django_db

NOT_OWNER = {
    "detail": "Only the learner who owns this attempt can do this.",
    "code": "not_attempt_owner",
}
SERVICE_ACCOUNT = {"detail": "A service account cannot take exams.", "code": "service_account"}
NOT_STAFF = {"detail": "Must be a Staff User to Perform this request.", "code": "not_course_staff"}


@pytest.fixture
def clock(monkeypatch):
    """A clock that stands still at the current time until a test moves it."""
    fake = FakeClock(timezone.now())
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


def fresh(attempt) -> Attempt:
    return Attempt.objects.get(pk=attempt.pk)


def _start(world) -> None:
    response = client_for(world, "learner").post(f"/api/v1/attempts/{world.attempt.pk}/start")
    assert response.status_code == 200, response.content


def _poll(world, attempt) -> dict:
    response = client_for(world, "learner").get(f"/api/v1/attempts/{attempt.pk}")
    assert response.status_code == 200, response.content
    return response.json()


# ---------------------------------------------------------------------------------------------
# Gap 1: the learner's decline cascades
# ---------------------------------------------------------------------------------------------


def test_a_learners_decline_declines_its_other_proctored_exams_of_the_course(world):
    """``POST /attempts/{id}/decline`` declines the attempt and, by default, the learner's
    other active, proctored, non-practice exams of the course: a created attempt, a started
    one, and an exam never opened (a new attempt). Practice, inactive and timed exams, a
    submitted attempt, another course and another learner are left alone."""
    course = world.course
    learner, other = world.learner, world.other_learner
    final = ExamFactory(course=course, content_id="final")
    quiz = ExamFactory(course=course, content_id="quiz")
    untaken = ExamFactory(course=course, content_id="untaken")
    done = ExamFactory(course=course, content_id="done")
    practice = ExamFactory(course=course, content_id="practice", is_practice_exam=True)
    inactive = ExamFactory(course=course, content_id="inactive", is_active=False)
    timed = ExamFactory(course=course, content_id="timed", is_proctored=False)
    for exam in (final, quiz, done, practice, inactive, timed, world.other_exam):
        api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=True)
    for exam in (quiz, done, practice, inactive, timed, world.other_exam):
        api.update_attempt_status(exam.pk, learner.pk, "started", cascade_effects=False)
    api.update_attempt_status(done.pk, learner.pk, "submitted")
    api.create_exam_attempt(final.pk, other.pk)

    response = client_for(world, "learner").post(f"/api/v1/attempts/{world.attempt.pk}/decline")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"

    def status(exam, user=learner):
        return api.get_exam_attempt(exam.pk, user.pk)["status"]

    assert [status(e) for e in (final, quiz, untaken)] == ["declined"] * 3
    assert status(done) == "submitted"
    assert [status(e) for e in (practice, inactive, timed)] == ["started"] * 3
    assert status(world.other_exam) == "started"
    assert status(final, other) == "created"


# ---------------------------------------------------------------------------------------------
# Gap 2: the course's provider, falling back to the default, decides the status at deadline
# ---------------------------------------------------------------------------------------------


def test_the_polls_status_at_deadline_follows_the_courses_provider(world, settings):
    """A running attempt's poll says what the expiry job will do: ``timed_out`` in a course
    whose provider allows the status, ``submitted`` in the course without provider (default
    ``null``); with ``vendor`` as the default instead, the course without provider says
    ``timed_out`` and a course naming ``null`` says ``submitted``."""
    settings.PROCTORING_SETTINGS = {}
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {"ALLOW_TIMED_OUT_STATE": False},
        "vendor": {"ALLOW_TIMED_OUT_STATE": True},
    }
    vendor_course = CourseFactory(course_id="course-v1:Vendor+X+Run", provider="vendor")
    vendor_exam = ExamFactory(course=vendor_course, content_id="midterm")
    vendor_attempt = Attempt.objects.get(
        pk=api.create_exam_attempt(vendor_exam.pk, world.learner.pk)
    )
    api.update_attempt_status(vendor_exam.pk, world.learner.pk, "started")
    _start(world)
    assert world.course.provider == ""

    assert _poll(world, vendor_attempt)["status_at_deadline"] == "timed_out"
    assert _poll(world, world.attempt)["status_at_deadline"] == "submitted"

    settings.PROCTORING_BACKENDS = {**settings.PROCTORING_BACKENDS, "DEFAULT": "vendor"}
    assert _poll(world, world.attempt)["status_at_deadline"] == "timed_out"
    world.course.provider = "null"
    world.course.save()
    assert _poll(world, world.attempt)["status_at_deadline"] == "submitted"
    assert _poll(world, vendor_attempt)["status_at_deadline"] == "timed_out"


# ---------------------------------------------------------------------------------------------
# Gap 3: adding the smallest legal time
# ---------------------------------------------------------------------------------------------


def test_staff_add_one_minute_and_the_deadline_moves_by_exactly_60_seconds(world, clock):
    """1 minute, the smallest legal value, is accepted: the deadline moves by 60 s, the time
    left grows by 60 s, and the time change records 60 s."""
    _start(world)
    before = fresh(world.attempt).deadline_at
    left_before = _poll(world, world.attempt)["time_remaining_seconds"]
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/time", {"minutes": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["time_remaining_seconds"] == left_before + 60
    after = fresh(world.attempt).deadline_at
    assert after - before == timedelta(seconds=60)
    change = AttemptTimeChange.objects.get(attempt_id=world.attempt.pk)
    assert (change.kind, change.seconds) == ("add_time", 60)


def test_staff_adding_zero_minutes_is_refused(world):
    """0 minutes, just below the smallest legal value: a 400 on ``minutes``, nothing
    changes."""
    _start(world)
    before = fresh(world.attempt).deadline_at
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/time", {"minutes": 0}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["minutes"]
    assert fresh(world.attempt).deadline_at == before
    assert not AttemptTimeChange.objects.exists()


# ---------------------------------------------------------------------------------------------
# Gap 5: pauses of no time, and clocks that go backwards
# ---------------------------------------------------------------------------------------------


def _pause_and_resume(world, clock, *, resume_after: timedelta):
    """Start, run 10 minutes, pause, move the clock by ``resume_after``, resume."""
    _start(world)
    clock.advance(minutes=10)
    staff = client_for(world, "staff")
    before = fresh(world.attempt).deadline_at
    left_at_pause = _poll(world, world.attempt)["time_remaining_seconds"]
    paused = staff.post(f"/api/v1/attempts/{world.attempt.pk}/pause", {}, format="json")
    assert paused.status_code == 200, paused.content
    clock.advance(seconds=resume_after.total_seconds())
    resumed = staff.post(f"/api/v1/attempts/{world.attempt.pk}/resume", {}, format="json")
    assert resumed.status_code == 200, resumed.content
    return before, left_at_pause, resumed.json()


def test_a_pause_of_zero_seconds_leaves_the_deadline_unchanged(world, clock):
    """Paused and resumed at the same instant: the deadline, the time left and the paused
    seconds are as before; the resume records 0 seconds."""
    before, left_at_pause, body = _pause_and_resume(world, clock, resume_after=timedelta(0))
    attempt = fresh(world.attempt)
    assert attempt.deadline_at == before
    assert attempt.paused_seconds == 0
    assert attempt.paused_at is None
    assert body["time_remaining_seconds"] == left_at_pause
    resume = AttemptTimeChange.objects.get(attempt=attempt, kind="resume")
    assert (resume.seconds, resume.deadline_before, resume.deadline_after) == (0, before, before)


def test_a_clock_that_goes_back_during_a_pause_takes_no_time_off_the_learner(world, clock):
    """Resumed 30 s *before* the pause began (the server's clock was set back): the pause
    counts as 0 s, so the deadline is not earlier than before the pause."""
    before, _left, _body = _pause_and_resume(world, clock, resume_after=timedelta(seconds=-30))
    attempt = fresh(world.attempt)
    assert attempt.deadline_at >= before
    assert attempt.deadline_at == before
    assert attempt.paused_seconds == 0
    resume = AttemptTimeChange.objects.get(attempt=attempt, kind="resume")
    assert resume.seconds == 0


# ---------------------------------------------------------------------------------------------
# Gap 8: the 403 messages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["start", "stop", "submit", "decline", "error"])
@pytest.mark.parametrize("persona", ["other_learner", "staff", "global_staff"])
def test_acting_on_someone_elses_attempt_is_refused_with_the_owner_message(world, action, persona):
    """Only the attempt's learner may act on it; anyone else, staff included, gets a 403 with
    the owner-only message, and the attempt stays as it was."""
    if action in {"stop", "submit", "error"}:
        api.update_attempt_status(world.exam.pk, world.learner.pk, "started")
    before = fresh(world.attempt).status
    response = client_for(world, persona).post(f"/api/v1/attempts/{world.attempt.pk}/{action}")
    assert response.status_code == 403
    assert response.json() == NOT_OWNER
    assert fresh(world.attempt).status == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", lambda w: "/api/v1/attempts", lambda w: {"exam_id": w.other_exam.pk}),
        ("get", lambda w: "/api/v1/attempts/active", lambda w: None),
        ("post", lambda w: f"/api/v1/attempts/{w.attempt.pk}/start", lambda w: None),
        ("post", lambda w: f"/api/v1/attempts/{w.attempt.pk}/decline", lambda w: None),
    ],
    ids=["create", "active", "start", "decline"],
)
def test_a_service_account_is_refused_the_learners_endpoints_with_its_message(
    world, method, path, body
):
    """Only people take exams: a service account gets a 403 with the service-account message
    on the learner-only endpoints, and nothing changes."""
    client = client_for(world, "service")
    response = getattr(client, method)(path(world), body(world), format="json")
    assert response.status_code == 403
    assert response.json() == SERVICE_ACCOUNT
    assert fresh(world.attempt).status == "created"
    assert Attempt.objects.count() == 1


def test_course_staff_are_refused_a_global_staff_or_service_endpoint_with_the_staff_message(
    world,
):
    """``PUT /courses/{id}`` is for global staff and service accounts only: course staff get a
    403 with the staff message; a service account is admitted."""
    path = f"/api/v1/courses/{world.course.course_id}"
    refused = client_for(world, "staff").put(path, {"display_name": "Renamed"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == NOT_STAFF
    admitted = client_for(world, "service").put(path, {"display_name": "Renamed"}, format="json")
    assert admitted.status_code == 200, admitted.content
