"""The REST API on the attempt clock: the poll reads the stored deadline, allowances move a
running attempt's deadline, and a late submission is refused."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from proctoring.allowances.models import Allowance
from proctoring.allowances.services import allowance_value_clean
from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.attempts.time_changes import attempt_pause
from proctoring.exceptions import InvalidAllowance
from tests.rest.conftest import COURSE_ID, bearer, client_for, mint
from tests.write_shapes import change_statements

pytestmark = pytest.mark.django_db


def _start(world):
    client = client_for(world, "learner")
    assert client.post(f"/api/v1/attempts/{world.attempt.pk}/start").status_code == 200
    return client


def _poll(client, world):
    return client.get(f"/api/v1/attempts/{world.attempt.pk}").json()


def test_the_poll_of_a_started_attempt_reads_its_stored_deadline(world):
    client = _start(world)
    body = _poll(client, world)
    attempt = Attempt.objects.get(pk=world.attempt.pk)
    assert body["deadline_at"] is not None
    assert attempt.deadline_at is not None
    assert body["allowed_time_limit_mins"] == 60
    assert 3590 <= body["time_remaining_seconds"] <= 3600


def test_the_poll_of_a_started_attempt_takes_1_query_with_a_jwt(world, django_assert_num_queries):
    token = mint("alice-9", preferred_username="alice9", course_roles={COURSE_ID: "learner"})
    client = client_for(world, "anonymous")
    created = client.post(
        "/api/v1/attempts",
        {"exam_id": world.exam.pk, "start": True},
        format="json",
        **bearer(token),
    )
    attempt_id = created.json()["id"]
    with django_assert_num_queries(1):  # the attempt with its exam and course, and the identity
        response = client.get(f"/api/v1/attempts/{attempt_id}", **bearer(token))
    assert response.json()["time_remaining_seconds"] > 0


def test_a_paused_attempt_shows_its_frozen_time(world):
    client = _start(world)
    attempt_pause(attempt_id=world.attempt.pk, actor_id=world.staff.pk)
    attempt = Attempt.objects.get(pk=world.attempt.pk)
    expected = int((attempt.deadline_at - attempt.paused_at).total_seconds())
    assert _poll(client, world)["time_remaining_seconds"] == expected


def test_granting_and_revoking_an_allowance_moves_a_running_deadline(world):
    client = _start(world)
    staff = client_for(world, "staff")
    exam_path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}"
    path = f"{exam_path}/allowances/alice/additional_time_granted"
    assert staff.put(path, {"value": "30"}, format="json").status_code == 201
    assert 90 * 60 - 10 <= _poll(client, world)["time_remaining_seconds"] <= 90 * 60
    assert _poll(client, world)["allowed_time_limit_mins"] == 90
    assert staff.delete(path).status_code == 204
    assert _poll(client, world)["time_remaining_seconds"] <= 60 * 60


def test_a_bulk_grant_moves_running_deadlines(world):
    client = _start(world)
    body = {
        "exam_ids": [world.exam.pk],
        "usernames": ["alice", "bob"],
        "key": "time_multiplier",
        "value": "2",
    }
    response = client_for(world, "staff").post(
        f"/api/v1/courses/{COURSE_ID}/allowances/bulk", body, format="json"
    )
    assert response.status_code == 200
    assert _poll(client, world)["allowed_time_limit_mins"] == 120


def test_a_submission_after_the_deadline_and_grace_times_the_attempt_out(world, settings):
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 5
    client = _start(world)
    past = timezone.now() - timedelta(seconds=30)
    Attempt.objects.filter(pk=world.attempt.pk).update(deadline_at=past)
    response = client.post(f"/api/v1/attempts/{world.attempt.pk}/submit")
    assert response.status_code == 409
    assert response.json()["code"] == "deadline_passed"
    attempt = Attempt.objects.get(pk=world.attempt.pk)
    # The reference's rule: a time-out counts as a submission unless the provider allows it.
    assert attempt.status == "submitted"
    assert attempt.completed_at is not None
    history = AttemptHistory.objects.filter(attempt=attempt).last()
    assert (history.to_status, history.cause) == ("submitted", "late submission")
    again = client.post(f"/api/v1/attempts/{world.attempt.pk}/submit")
    # Asking again gets the same answer (issue 8, item 5) and changes nothing.
    assert again.status_code == 409
    assert again.json()["code"] == "deadline_passed"
    assert AttemptHistory.objects.filter(attempt=attempt).count() == 3


def test_a_submission_within_the_grace_period_is_accepted(world, settings):
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 60
    client = _start(world)
    Attempt.objects.filter(pk=world.attempt.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=10)
    )
    response = client.post(f"/api/v1/attempts/{world.attempt.pk}/submit")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_an_extended_due_date_is_validated_and_stored_in_utc(world):
    assert (
        allowance_value_clean(key="due_date_extension", value="2030-06-30T23:59:00+02:00")
        == "2030-06-30T21:59:00+00:00"
    )
    for value in ("2030-06-30T23:59:00", "tomorrow", ""):
        with pytest.raises(InvalidAllowance):
            allowance_value_clean(key="due_date_extension", value=value)
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/allowances/alice/due_date_extension"
    response = client_for(world, "staff").put(
        path, {"value": "2030-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 201
    assert Allowance.objects.get().value == "2030-01-01T00:00:00+00:00"


def test_the_poll_gives_the_warning_points_of_the_learners_own_time(world):
    """20% and 5% of the learner's allowed time, allowances included (not the exam's base)."""
    Allowance.objects.create(
        exam=world.exam, user=world.learner, key="additional_time_granted", value="40"
    )
    body = _poll(_start(world), world)
    assert body["allowed_time_seconds"] == 100 * 60
    assert body["low_threshold_seconds"] == 20 * 60
    assert body["critical_threshold_seconds"] == 5 * 60
    assert body["paused"] is False
    assert body["server_time"] is not None


def test_the_poll_before_the_start_shows_the_time_the_learner_will_get(world):
    Allowance.objects.create(exam=world.exam, user=world.learner, key="time_multiplier", value="2")
    body = _poll(client_for(world, "learner"), world)
    assert body["status"] == "created"
    assert body["allowed_time_seconds"] == 120 * 60
    assert body["time_remaining_seconds"] is None
    assert body["deadline_at"] is None
    assert body["status_at_deadline"] is None


def test_a_read_past_the_deadline_changes_nothing_and_tells_what_the_job_will_do(world, settings):
    client = _start(world)
    Attempt.objects.filter(pk=world.attempt.pk).update(
        deadline_at=timezone.now() - timedelta(minutes=5)
    )
    body = _poll(client, world)
    assert body["time_remaining_seconds"] == 0
    assert body["status"] == "started"
    assert body["status_at_deadline"] == "submitted"
    settings.PROCTORING_SETTINGS = {"ALLOW_TIMED_OUT_STATE": True}
    assert _poll(client, world)["status_at_deadline"] == "timed_out"
    assert Attempt.objects.get(pk=world.attempt.pk).status == "started"
    assert list(
        AttemptHistory.objects.filter(attempt_id=world.attempt.pk).values_list(
            "to_status", flat=True
        )
    ) == ["created", "started"]


def test_staff_add_time_and_the_deadline_moves_with_a_reason_in_the_history(world):
    _start(world)
    before = Attempt.objects.get(pk=world.attempt.pk).deadline_at
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/time",
        {"minutes": 15, "reason": "fire alarm"},
        format="json",
    )
    assert response.status_code == 200, response.content
    attempt = Attempt.objects.get(pk=world.attempt.pk)
    assert attempt.deadline_at - before == timedelta(minutes=15)
    change = attempt.time_changes.get()
    assert (change.kind, change.seconds, change.reason) == ("add_time", 900, "fire alarm")
    assert change.actor_id == world.staff.pk


@pytest.mark.parametrize("minutes", [0, -5, 100000, "ten", None, True])
def test_adding_a_bad_number_of_minutes_is_a_400(world, minutes):
    _start(world)
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/time", {"minutes": minutes}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_adding_time_to_an_attempt_that_is_not_running_is_a_409(world):
    response = client_for(world, "staff").post(
        f"/api/v1/attempts/{world.attempt.pk}/time", {"minutes": 5}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "attempt_clock_conflict"


def test_staff_pause_and_resume_and_the_deadline_moves_by_the_pause(world, monkeypatch):
    _start(world)
    staff = client_for(world, "staff")
    before = Attempt.objects.get(pk=world.attempt.pk).deadline_at
    start = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: start)
    paused = staff.post(
        f"/api/v1/attempts/{world.attempt.pk}/pause", {"reason": "proctor"}, format="json"
    )
    assert paused.status_code == 200, paused.content
    assert paused.json()["paused"] is True
    monkeypatch.setattr("django.utils.timezone.now", lambda: start + timedelta(seconds=90))
    resumed = staff.post(f"/api/v1/attempts/{world.attempt.pk}/resume", {}, format="json")
    assert resumed.status_code == 200, resumed.content
    assert resumed.json()["paused"] is False
    attempt = Attempt.objects.get(pk=world.attempt.pk)
    assert attempt.deadline_at - before == timedelta(seconds=90)
    kinds = list(attempt.time_changes.values_list("kind", "reason", "actor_id"))
    assert kinds == [("pause", "proctor", world.staff.pk), ("resume", "", world.staff.pk)]


def test_a_learner_cannot_pause_its_own_exam(world):
    client = _start(world)
    response = client.post(f"/api/v1/attempts/{world.attempt.pk}/pause")
    assert response.status_code == 403
    assert Attempt.objects.get(pk=world.attempt.pk).paused_at is None


def test_pausing_twice_and_resuming_a_running_clock_are_409s(world):
    _start(world)
    staff = client_for(world, "staff")
    assert staff.post(f"/api/v1/attempts/{world.attempt.pk}/resume").status_code == 409
    assert staff.post(f"/api/v1/attempts/{world.attempt.pk}/pause").status_code == 200
    assert staff.post(f"/api/v1/attempts/{world.attempt.pk}/pause").status_code == 409


def test_the_learners_submit_with_a_jwt_takes_2_statements_and_the_commit(world):
    """The attempt read and locked once (the token's user confirmed by the same statement),
    then its UPDATE, its history INSERT and its event INSERT (one statement on PostgreSQL);
    the credit update leaves from the outbox after the commit."""
    token = mint("alice-9", preferred_username="alice9", course_roles={COURSE_ID: "learner"})
    client = client_for(world, "anonymous")
    created = client.post(
        "/api/v1/attempts",
        {"exam_id": world.exam.pk, "start": True},
        format="json",
        **bearer(token),
    )
    attempt_id = created.json()["id"]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/v1/attempts/{attempt_id}/submit", **bearer(token))
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    statements = [q["sql"] for q in queries.captured_queries if not _is_control(q["sql"])]
    # lock; UPDATE, history and event (one statement on PostgreSQL: tests/write_shapes.py)
    assert len(statements) == 1 + change_statements(), statements
    assert "FOR UPDATE" in statements[0] or connection.vendor == "sqlite"


def _is_control(sql):
    return sql.split(" ", 1)[0].upper() in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}
