"""Staff in control: course staff end a running attempt, an administrator sets a status (REST,
admin, CLI), staff review over REST with a reason; all through the one transition, with the
reason in the history."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.staff_control import attempt_end_by_staff, attempt_set_status
from proctoring.exceptions import (
    AttemptActionNotAllowed,
    ProctoredExamIllegalStatusTransition,
    ReasonRequired,
)
from proctoring.reviews.models import Review
from tests.rest.conftest import client_for
from tests.write_shapes import change_statements

pytestmark = pytest.mark.django_db


def _started(world):
    learner = client_for(world, "learner")
    assert learner.post(f"/api/v1/attempts/{world.attempt.pk}/start").status_code == 200
    return world.attempt


def _last_history(attempt):
    return AttemptHistory.objects.filter(attempt=attempt).last()


def test_course_staff_end_a_running_attempt_with_a_reason(world):
    attempt = _started(world)
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{attempt.pk}/end", {"reason": "Fire alarm"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert body["completed_at"] is not None
    last = _last_history(attempt)
    assert (last.from_status, last.to_status, last.actor_id, last.cause, last.reason) == (
        "started",
        "submitted",
        world.staff.pk,
        "staff:end",
        "Fire alarm",
    )


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_ending_an_attempt_needs_a_reason(world, body):
    attempt = _started(world)
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{attempt.pk}/end", body, format="json"
    )
    assert response.status_code == 400
    assert Attempt.objects.get(pk=attempt.pk).status == "started"


def test_a_blank_reason_is_refused_by_the_service_too(world):
    attempt = _started(world)
    with pytest.raises(ReasonRequired):
        attempt_end_by_staff(attempt_id=attempt.pk, actor_id=world.staff.pk, reason=" ")


def test_only_a_running_attempt_can_be_ended(world):
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/end", {"reason": "why not"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "action_not_allowed"
    with pytest.raises(AttemptActionNotAllowed):
        attempt_end_by_staff(attempt_id=world.attempt.pk, actor_id=None, reason="x")


@pytest.mark.parametrize("persona", ["learner", "other_staff"])
def test_learners_and_staff_of_another_course_cannot_end_an_attempt(world, persona):
    attempt = _started(world)
    response = client_for(world, persona).post(
        f"/api/v1/attempts/{attempt.pk}/end", {"reason": "mine"}, format="json"
    )
    assert response.status_code == 403
    assert Attempt.objects.get(pk=attempt.pk).status == "started"


@pytest.mark.parametrize("persona", ["global_staff", "service"])
def test_an_administrator_sets_any_status_with_a_reason(world, persona):
    response = client_for(world, persona).post(
        f"/api/v1/attempts/{world.attempt.pk}/status",
        {"status": "error", "reason": "Provider outage, ticket 42"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    last = _last_history(world.attempt)
    assert (last.to_status, last.cause, last.reason) == (
        "error",
        "admin:set_status",
        "Provider outage, ticket 42",
    )


def test_an_illegal_move_is_a_409_for_an_administrator_too(world):
    Attempt.objects.filter(pk=world.attempt.pk).update(status="verified")
    response = client_for(world, "global_staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/status",
        {"status": "started", "reason": "let them finish"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_status_transition"
    assert "verified to started" in response.json()["detail"]
    assert Attempt.objects.get(pk=world.attempt.pk).status == "verified"


@pytest.mark.parametrize("persona", ["staff", "learner"])
def test_course_staff_and_learners_cannot_set_a_status(world, persona):
    response = client_for(world, persona).post(
        f"/api/v1/attempts/{world.attempt.pk}/status",
        {"status": "verified", "reason": "trust me"},
        format="json",
    )
    assert response.status_code == 403
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"


def test_setting_a_status_checks_its_input(world):
    client = client_for(world, "global_staff")
    url = f"/api/v1/attempts/{world.attempt.pk}/status"
    assert client.post(url, {"status": "flying", "reason": "x"}, format="json").status_code == 400
    assert client.post(url, {"status": "error"}, format="json").status_code == 400
    missing = client.post("/api/v1/attempts/999999/status", {}, format="json")
    assert missing.status_code == 404
    Attempt.objects.filter(pk=world.attempt.pk).update(status="submitted")
    with pytest.raises(ProctoredExamIllegalStatusTransition):
        attempt_set_status(
            attempt_id=world.attempt.pk, to_status="error", actor_id=None, reason="x"
        )


def test_the_cli_sets_a_status_with_a_reason(world):
    out = StringIO()
    call_command(
        "attempt_set_status",
        str(world.attempt.pk),
        "error",
        "--reason",
        "operator fix",
        "--actor",
        "erin",
        stdout=out,
    )
    assert "is error" in out.getvalue()
    last = _last_history(world.attempt)
    assert (last.to_status, last.reason, last.actor_id) == (
        "error",
        "operator fix",
        world.global_staff.pk,
    )
    with pytest.raises(CommandError, match="not allowed"):
        call_command("attempt_set_status", str(world.attempt.pk), "created", "--reason", "back")
    with pytest.raises(CommandError, match="not an attempt status"):
        call_command("attempt_set_status", str(world.attempt.pk), "flying", "--reason", "x")


def test_the_admin_action_asks_for_a_reason_then_sets_the_status(world, client):
    world.global_staff.is_superuser = True
    world.global_staff.save()
    client.force_login(world.global_staff)
    url = reverse("admin:attempts_attempt_changelist")
    selected = {"action": "set_status", "_selected_action": [world.attempt.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200
    assert b"reason" in page.content
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"
    blank = client.post(url, {**selected, "apply": "1", "status": "error", "reason": ""})
    assert blank.status_code == 200  # the form again, with its error
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"
    done = client.post(url, {**selected, "apply": "1", "status": "error", "reason": "admin fix"})
    assert done.status_code == 302
    assert _last_history(world.attempt).reason == "admin fix"
    assert Attempt.objects.get(pk=world.attempt.pk).status == "error"
    refused = client.post(
        url, {**selected, "apply": "1", "status": "created", "reason": "back"}, follow=True
    )
    assert b"not allowed" in refused.content
    assert Attempt.objects.get(pk=world.attempt.pk).status == "error"


def test_a_staff_review_over_rest_is_recorded_and_an_override_needs_a_reason(world):
    Attempt.objects.filter(pk=world.attempt.pk).update(status="submitted")
    client = client_for(world, "staff")
    url = f"/api/v1/attempts/{world.attempt.pk}/review"
    first = client.post(url, {"status": "verified"}, format="json")
    assert first.status_code == 200
    assert first.json()["status"] == "verified"
    override = client.post(url, {"status": "rejected"}, format="json")
    assert override.status_code == 400
    assert override.json()["code"] == "review_reason_required"
    assert Attempt.objects.get(pk=world.attempt.pk).status == "verified"
    done = client.post(url, {"status": "rejected", "reason": "Notes found"}, format="json")
    assert done.json()["status"] == "rejected"
    reviews = list(Review.objects.filter(attempt=world.attempt).order_by("id"))
    assert [(r.source, r.verdict, r.reason) for r in reviews] == [
        ("staff", "verified", ""),
        ("staff", "rejected", "Notes found"),
    ]
    assert _last_history(world.attempt).cause == "staff:override"


def test_ending_an_attempt_is_2_statements_in_its_savepoint(world, django_assert_num_queries):
    """The lock (with exam, course and user), then the UPDATE, the history and event INSERTs
    (one statement on PostgreSQL: 2 in all); the test's own transaction makes the service's
    a savepoint (2 more statements)."""
    attempt = _started(world)
    with django_assert_num_queries(1 + change_statements() + 2):
        attempt_end_by_staff(attempt_id=attempt.pk, actor_id=world.staff.pk, reason="now")
