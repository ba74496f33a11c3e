"""Retakes and resume: staff resets, a learner's practice retake, resuming an attempt that
failed with the time it had left; credit and emails follow the latest attempt."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from proctoring.attempts.actions import attempt_reset
from proctoring.attempts.effects import credit_consume, emails_consume
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.retakes import attempt_mark_resumable, attempt_resume
from proctoring.attempts.services import attempt_create
from proctoring.core.events import ATTEMPT_STATUS_CHANGED, DomainEvent
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import AttemptActionNotAllowed
from proctoring.outbox.models import Event
from tests.attempts.conftest import FakeClock
from tests.conftest import committed
from tests.factories import ExamFactory
from tests.rest.conftest import client_for

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(T0)
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


def _post(client, attempt_id, action, body=None):
    return client.post(f"/api/v1/attempts/{attempt_id}/{action}", body or {}, format="json")


def _current(world):
    return Attempt.objects.get(exam=world.exam, user=world.learner, archived_at__isnull=True)


# --- staff resets ---------------------------------------------------------------------------


def test_each_staff_reset_lets_the_learner_take_attempt_n_plus_1(world):
    for number in (1, 2):
        current = _current(world)
        assert current.attempt_number == number
        attempt_reset(attempt_id=current.pk, actor_id=world.staff.pk)
        attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    attempts = Attempt.objects.filter(exam=world.exam, user=world.learner).order_by("id")
    assert [a.attempt_number for a in attempts] == [1, 2, 3]
    assert [a.archived_at is None for a in attempts] == [False, False, True]
    assert AttemptHistory.objects.filter(attempt__in=attempts[:2], cause="reset").count() == 2


# --- a learner's practice retake ------------------------------------------------------------


@pytest.fixture
def practice(world):
    exam = ExamFactory(course=world.course, is_practice_exam=True, time_limit_mins=10)
    learner = client_for(world, "learner")
    created = learner.post("/api/v1/attempts", {"exam_id": exam.pk, "start": True}, format="json")
    attempt_id = created.json()["id"]
    assert _post(learner, attempt_id, "submit").json()["status"] == "submitted"
    return Attempt.objects.get(pk=attempt_id)


def test_a_learner_retakes_a_finished_practice_exam(world, practice):
    with committed():
        response = _post(client_for(world, "learner"), practice.pk, "retake")
    assert response.status_code == 201
    body = response.json()
    assert (body["attempt_number"], body["status"]) == (2, "created")
    assert body["exam_id"] == practice.exam_id
    practice.refresh_from_db()
    assert practice.archived_at is not None
    assert AttemptHistory.objects.filter(attempt=practice, cause="learner:retake").exists()
    assert Event.objects.filter(type="attempt.reset", attempt_id=practice.pk).exists()
    again = _post(client_for(world, "learner"), practice.pk, "retake")
    assert again.status_code == 409  # the old one is archived


def test_a_practice_attempt_in_progress_or_another_learners_cannot_be_retaken(world):
    exam = ExamFactory(course=world.course, is_practice_exam=True)
    learner = client_for(world, "learner")
    attempt_id = learner.post("/api/v1/attempts", {"exam_id": exam.pk}, format="json").json()["id"]
    running = _post(learner, attempt_id, "retake")
    assert (running.status_code, running.json()["code"]) == (409, "action_not_allowed")
    assert _post(client_for(world, "other_learner"), attempt_id, "retake").status_code == 403


def test_a_real_exam_is_not_retaken_by_its_learner(world):
    Attempt.objects.filter(pk=world.attempt.pk).update(status="rejected")
    response = _post(client_for(world, "learner"), world.attempt.pk, "retake")
    assert response.status_code == 409
    assert "practice" in response.json()["detail"]
    assert _current(world).pk == world.attempt.pk


# --- resuming an attempt that failed --------------------------------------------------------


def test_staff_mark_a_failed_attempt_resumable_and_the_learner_continues_with_the_time_left(
    world, clock
):
    learner, staff = client_for(world, "learner"), client_for(world, "staff")
    assert _post(learner, world.attempt.pk, "start").status_code == 200  # 60 minutes
    clock.advance(minutes=25)
    assert _post(learner, world.attempt.pk, "error").json()["status"] == "error"
    clock.advance(hours=2)  # staff look later: the time left is the time left at the failure
    marked = _post(staff, world.attempt.pk, "resumable", {"reason": "webcam crashed"})
    assert marked.status_code == 200
    assert marked.json()["ready_to_resume"] is True
    assert Attempt.objects.get(pk=world.attempt.pk).time_remaining_seconds == 35 * 60
    continued = _post(learner, world.attempt.pk, "continue")
    assert continued.status_code == 201
    new = continued.json()
    assert (new["attempt_number"], new["status"]) == (2, "created")
    assert new["allowed_time_seconds"] == 35 * 60  # what the learner will get
    old = Attempt.objects.get(pk=world.attempt.pk)
    assert old.resumed and old.archived_at is not None and old.status == "error"
    assert not Event.objects.filter(type="attempt.reset", attempt_id=old.pk).exists()
    started = _post(learner, new["id"], "start").json()
    assert started["allowed_time_seconds"] == 35 * 60
    assert started["time_remaining_seconds"] == 35 * 60
    assert datetime.fromisoformat(started["deadline_at"]) == clock() + timedelta(minutes=35)
    causes = list(
        AttemptHistory.objects.filter(attempt=old).values_list("cause", "reason").order_by("id")
    )
    assert causes[-2:] == [("staff:resumable", "webcam crashed"), ("learner:resume", "")]


def test_only_an_attempt_staff_marked_can_be_continued(world):
    learner = client_for(world, "learner")
    _post(learner, world.attempt.pk, "start")
    _post(learner, world.attempt.pk, "error")
    response = _post(learner, world.attempt.pk, "continue")
    assert (response.status_code, response.json()["code"]) == (409, "action_not_allowed")
    attempt_mark_resumable(attempt_id=world.attempt.pk, actor_id=world.staff.pk)
    other = client_for(world, "other_learner")
    assert _post(other, world.attempt.pk, "continue").status_code == 403
    attempt_resume(attempt_id=world.attempt.pk, actor_id=world.learner.pk)
    assert _post(learner, world.attempt.pk, "continue").status_code == 409  # archived


@pytest.mark.parametrize("status", ["created", "started", "submitted", "verified"])
def test_only_a_failed_attempt_that_started_can_be_marked_resumable(world, status):
    Attempt.objects.filter(pk=world.attempt.pk).update(status=status)
    with pytest.raises(AttemptActionNotAllowed):
        attempt_mark_resumable(attempt_id=world.attempt.pk, actor_id=None)
    Attempt.objects.filter(pk=world.attempt.pk).update(status="error")  # never started
    with pytest.raises(AttemptActionNotAllowed, match="never started"):
        attempt_mark_resumable(attempt_id=world.attempt.pk, actor_id=None)


def test_marking_resumable_is_for_staff_of_the_course(world):
    for persona in ("learner", "other_staff"):
        assert _post(client_for(world, persona), world.attempt.pk, "resumable").status_code == 403


# --- credit and emails follow the latest attempt --------------------------------------------


def _credit(world):
    return CreditRequirementStatus.objects.filter(user=world.learner).values_list(
        "status", flat=True
    )


def test_a_reset_and_the_next_attempts_submission_in_one_batch_leave_the_submission(world):
    learner = client_for(world, "learner")
    with committed():  # nothing is delivered until the end: one batch
        _post(learner, world.attempt.pk, "start")
        _post(learner, world.attempt.pk, "submit")
        attempt_reset(attempt_id=world.attempt.pk, actor_id=world.staff.pk)
        body = {"exam_id": world.exam.pk, "start": True}
        second = learner.post("/api/v1/attempts", body, format="json")
        _post(learner, second.json()["id"], "submit")
    assert list(_credit(world)) == ["submitted"]


def _status_event(attempt, to_status, credit):
    return DomainEvent(
        type=ATTEMPT_STATUS_CHANGED,
        occurred_at=T0,
        course_id=attempt.exam.course_id,
        attempt_id=attempt.pk,
        payload={
            "attempt_id": attempt.pk,
            "attempt_number": attempt.attempt_number,
            "exam_id": attempt.exam_id,
            "course_id": attempt.exam.course_id,
            "content_id": attempt.exam.content_id,
            "user_id": attempt.user_id,
            "to_status": to_status,
            "credit_requirement_status": credit,
            "learner_email": True,
        },
    )


def test_an_older_attempts_late_event_changes_neither_credit_nor_email(world):
    old = world.attempt
    attempt_reset(attempt_id=old.pk, actor_id=None)
    new = attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    credit_consume([_status_event(new, "submitted", "submitted")])
    mail.outbox.clear()
    credit_consume([_status_event(old, "verified", "satisfied")])
    emails_consume([_status_event(old, "verified", "satisfied")])
    assert list(_credit(world)) == ["submitted"]
    assert mail.outbox == []
    emails_consume([_status_event(new, "submitted", "submitted")])
    assert len(mail.outbox) == 1
