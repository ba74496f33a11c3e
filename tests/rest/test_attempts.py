"""The learner's attempt: create, act, poll; course staff's review and reset."""

from datetime import timedelta

import pytest
from django.utils import timezone

from proctoring.allowances.models import Allowance
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.services import attempt_update_status
from proctoring.credit.models import CreditRequirementStatus
from tests.conftest import committed
from tests.factories import ExamFactory
from tests.rest.conftest import client_for

pytestmark = pytest.mark.django_db


def test_learner_creates_an_attempt_and_polls_it(world):
    world.attempt.delete()
    client = client_for(world, "learner")
    response = client.post(
        "/api/v1/attempts", {"exam_id": world.exam.pk, "taking_as_proctored": True}, format="json"
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["status"] == "created"
    assert body["taking_as_proctored"] is True
    assert body["user_id"] == world.learner.pk
    assert body["course_id"] == world.course.course_id
    assert body["time_remaining_seconds"] is None
    assert body["allowed_time_limit_mins"] == 60
    poll = client.get(f"/api/v1/attempts/{body['id']}").json()
    assert poll["status"] == "created"
    assert "server_time" in poll


def test_learner_can_start_the_clock_at_creation(world):
    world.attempt.delete()
    response = client_for(world, "learner").post(
        "/api/v1/attempts", {"exam_id": world.exam.pk, "start": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "started"
    assert 3590 <= body["time_remaining_seconds"] <= 3600


def test_a_timed_exam_is_never_taken_as_proctored(world):
    world.attempt.delete()
    timed = ExamFactory(course=world.course, is_proctored=False)
    response = client_for(world, "learner").post(
        "/api/v1/attempts", {"exam_id": timed.pk, "taking_as_proctored": True}, format="json"
    )
    assert response.json()["taking_as_proctored"] is False


def test_a_second_attempt_on_the_same_exam_is_a_conflict(world):
    response = client_for(world, "learner").post(
        "/api/v1/attempts", {"exam_id": world.exam.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "attempt_already_exists"


def test_an_inactive_exam_cannot_be_attempted(world):
    world.attempt.delete()
    world.exam.is_active = False
    world.exam.save()
    response = client_for(world, "learner").post(
        "/api/v1/attempts", {"exam_id": world.exam.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "exam_not_active"


def test_an_unknown_exam_is_a_404(world):
    response = client_for(world, "learner").post(
        "/api/v1/attempts", {"exam_id": 999999}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "exam_not_found"


def test_a_service_account_cannot_take_an_exam(world):
    response = client_for(world, "service").post(
        "/api/v1/attempts", {"exam_id": world.exam.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "service_account"


def _act(client, attempt, action):
    return client.post(f"/api/v1/attempts/{attempt.pk}/{action}")


def test_the_learner_runs_through_start_stop_submit(world):
    client = client_for(world, "learner")
    started = _act(client, world.attempt, "start")
    assert started.status_code == 200
    assert started.json()["status"] == "started"
    assert started.json()["started_at"] is not None
    assert _act(client, world.attempt, "start").json()["status"] == "started"  # a double click
    assert _act(client, world.attempt, "stop").json()["status"] == "ready_to_submit"
    submitted = _act(client, world.attempt, "submit").json()
    assert submitted["status"] == "submitted"
    assert submitted["completed_at"] is not None
    assert submitted["time_remaining_seconds"] == 0
    causes = list(
        AttemptHistory.objects.filter(attempt=world.attempt).values_list("to_status", "cause")
    )
    assert causes == [
        ("created", ""),
        ("started", "learner:start"),
        ("ready_to_submit", "learner:stop"),
        ("submitted", "learner:submit"),
    ]


@pytest.mark.parametrize(
    ("action", "status"),
    [("start", "submitted"), ("stop", "created"), ("submit", "created"), ("decline", "started")],
)
def test_an_action_from_the_wrong_status_is_a_conflict(world, action, status):
    Attempt.objects.filter(pk=world.attempt.pk).update(status=status)
    response = _act(client_for(world, "learner"), world.attempt, action)
    assert response.status_code == 409
    assert response.json()["code"] == "action_not_allowed"


def test_the_learner_declines_and_reports_an_error(world):
    client = client_for(world, "learner")
    assert _act(client, world.attempt, "decline").json()["status"] == "declined"
    other = ExamFactory(course=world.course, is_proctored=False)
    client.post("/api/v1/attempts", {"exam_id": other.pk, "start": True}, format="json")
    attempt = Attempt.objects.get(exam=other, user=world.learner)
    assert _act(client, attempt, "error").json()["status"] == "error"


def test_an_error_cannot_follow_a_completed_status(world):
    Attempt.objects.filter(pk=world.attempt.pk).update(status="submitted")
    response = _act(client_for(world, "learner"), world.attempt, "error")
    assert response.status_code == 409


def test_an_unknown_action_is_a_json_404(world):
    response = _act(client_for(world, "learner"), world.attempt, "fly")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_only_the_owner_acts_on_an_attempt(world):
    for persona in ("other_learner", "staff", "global_staff"):
        response = _act(client_for(world, persona), world.attempt, "start")
        assert response.status_code == 403, persona
        assert response.json()["code"] == "not_attempt_owner"


def _start_in_the_past(world, monkeypatch, ago):
    """Start the learner's attempt as if ``ago`` had passed since."""
    then = timezone.now() - ago
    with monkeypatch.context() as patched:
        patched.setattr("django.utils.timezone.now", lambda: then)
        attempt_update_status(exam_id=world.exam.pk, user_id=world.learner.pk, to_status="started")


def test_time_remaining_counts_allowances(world, monkeypatch):
    Allowance.objects.create(
        exam=world.exam, user=world.learner, key="additional_time_granted", value="30"
    )
    _start_in_the_past(world, monkeypatch, timedelta(minutes=10))
    body = client_for(world, "learner").get(f"/api/v1/attempts/{world.attempt.pk}").json()
    assert body["allowed_time_limit_mins"] == 90
    assert 80 * 60 - 5 <= body["time_remaining_seconds"] <= 80 * 60


def test_time_remaining_never_goes_below_zero(world, monkeypatch):
    _start_in_the_past(world, monkeypatch, timedelta(hours=5))
    body = client_for(world, "learner").get(f"/api/v1/attempts/{world.attempt.pk}").json()
    assert body["time_remaining_seconds"] == 0


def test_the_active_attempt_is_the_running_one(world):
    client = client_for(world, "learner")
    assert client.get("/api/v1/attempts/active").json()["attempt"] is None
    _act(client, world.attempt, "start")
    body = client.get("/api/v1/attempts/active").json()
    assert body["attempt"]["id"] == world.attempt.pk
    assert body["attempt"]["time_remaining_seconds"] > 0
    assert (
        client_for(world, "other_learner").get("/api/v1/attempts/active").json()["attempt"] is None
    )


def test_staff_give_a_verdict_to_a_submitted_attempt(world):
    Attempt.objects.filter(pk=world.attempt.pk).update(status="submitted")
    client = client_for(world, "staff")
    response = client.post(
        f"/api/v1/attempts/{world.attempt.pk}/review", {"status": "verified"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    history = AttemptHistory.objects.filter(attempt=world.attempt).last()
    assert (history.to_status, history.actor_id, history.cause) == (
        "verified",
        world.staff.pk,
        "staff:review",
    )
    # Overriding the verdict needs a reason (issue 10: reviews_by_staff).
    second = client.post(
        f"/api/v1/attempts/{world.attempt.pk}/review",
        {"status": "rejected", "reason": "Second look"},
        format="json",
    )
    assert second.json()["status"] == "rejected"


def test_a_verdict_needs_a_completed_attempt(world):
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/review", {"status": "verified"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "action_not_allowed"


def test_only_review_verdicts_are_accepted(world):
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/review", {"status": "started"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_a_reset_archives_the_attempt_and_the_learner_starts_over(
    world, django_capture_on_commit_callbacks
):
    Attempt.objects.filter(pk=world.attempt.pk).update(status="submitted")
    CreditRequirementStatus.objects.create(
        user=world.learner,
        course_id=world.course.course_id,
        req_namespace="proctored_exam",
        req_name=world.exam.content_id,
        status="submitted",
    )
    with committed():  # credit is removed after commit
        response = client_for(world, "staff").post(f"/api/v1/attempts/{world.attempt.pk}/reset")
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    world.attempt.refresh_from_db()
    assert world.attempt.archived_at is not None
    assert AttemptHistory.objects.filter(attempt=world.attempt, cause="reset").count() == 1
    assert AttemptHistory.objects.filter(attempt=world.attempt).count() == 2
    assert not CreditRequirementStatus.objects.exists()
    # The archived attempt is still readable, and frozen.
    learner = client_for(world, "learner")
    assert learner.get(f"/api/v1/attempts/{world.attempt.pk}").status_code == 200
    assert _act(learner, world.attempt, "start").json()["code"] == "attempt_archived"
    again = client_for(world, "staff").post(f"/api/v1/attempts/{world.attempt.pk}/reset")
    assert again.status_code == 409
    retry = learner.post("/api/v1/attempts", {"exam_id": world.exam.pk}, format="json")
    assert retry.status_code == 201
    assert retry.json()["attempt_number"] == 2


def test_staff_of_another_course_cannot_review_or_reset(world):
    client = client_for(world, "other_staff")
    for path in ("review", "reset"):
        response = client.post(
            f"/api/v1/attempts/{world.attempt.pk}/{path}", {"status": "verified"}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["detail"] == "Must be a Staff User to Perform this request."


def test_a_body_exam_id_of_ones_own_course_does_not_open_another_course(world):
    """The reference's hole: staff of B naming an exam of B while acting on an attempt of A."""
    response = client_for(world, "other_staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/review",
        {"status": "verified", "exam_id": world.other_exam.pk},
        format="json",
    )
    assert response.status_code == 403
    assert world.attempt.status == Attempt.objects.get(pk=world.attempt.pk).status


def test_unknown_attempts_are_404s(world):
    for persona, method, path in [
        ("learner", "get", "/api/v1/attempts/999999"),
        ("learner", "post", "/api/v1/attempts/999999/start"),
        ("staff", "post", "/api/v1/attempts/999999/reset"),
    ]:
        response = getattr(client_for(world, persona), method)(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "attempt_not_found"
