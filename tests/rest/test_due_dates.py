"""The REST API at the ends of the calendar, on late submissions and on past-due exams (issue
8, items 1, 2, 5 and 13): a 4xx in the error shape where a 500 or two answers were given."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from proctoring.allowances.models import Allowance
from proctoring.attempts.expiry import attempts_expire
from proctoring.attempts.models import Attempt, AttemptHistory
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

UNREPRESENTABLE = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
END = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _extension_path(world) -> str:
    return f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/allowances/alice/due_date_extension"


def _start(world):
    client = client_for(world, "learner")
    response = client.post(f"/api/v1/attempts/{world.attempt.pk}/start")
    assert response.status_code == 200, response.content
    return client


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["detail"]


# ---------------------------------------------------------------------------------------------
# Item 1
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", UNREPRESENTABLE)
def test_an_extension_with_no_utc_equivalent_is_a_400_single_and_bulk(world, value):
    staff = client_for(world, "staff")
    single = staff.put(_extension_path(world), {"value": value}, format="json")
    _error(single, 400, "invalid_allowance")
    body = {
        "exam_ids": [world.exam.pk],
        "usernames": ["alice", "bob"],
        "key": "due_date_extension",
        "value": value,
    }
    bulk = staff.post(f"/api/v1/courses/{COURSE_ID}/allowances/bulk", body, format="json")
    _error(bulk, 400, "invalid_allowance")
    assert not Allowance.objects.exists()


@pytest.mark.parametrize("due_date", UNREPRESENTABLE)
def test_an_exam_due_date_with_no_utc_equivalent_is_a_400(world, due_date):
    body = {"content_id": "far", "exam_name": "Far", "time_limit_mins": 60, "due_date": due_date}
    response = client_for(world, "staff").post(
        f"/api/v1/courses/{COURSE_ID}/exams", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert "due_date" in response.json()["fields"]


def test_time_added_to_and_a_pause_of_an_attempt_due_at_the_end_of_the_calendar_are_200s(world):
    """An untimed exam due 9999-12-31T23:59:59Z: add time, pause, resume and submit all
    answer 200, and the deadline stays at the bound."""
    world.exam.time_limit_mins = None
    world.exam.due_date = END
    world.exam.save()
    learner = _start(world)
    staff = client_for(world, "staff")
    path = f"/api/v1/attempts/{world.attempt.pk}"
    Attempt.objects.filter(pk=world.attempt.pk).update(deadline_at=END)  # stored before the bound
    added = staff.post(f"{path}/time", {"minutes": 5, "reason": "noise"}, format="json")
    assert added.status_code == 200, added.content
    assert staff.post(f"{path}/pause", {}, format="json").status_code == 200
    resumed = staff.post(f"{path}/resume", {}, format="json")
    assert resumed.status_code == 200, resumed.content
    assert resumed.json()["paused"] is False
    assert learner.post(f"{path}/submit").json()["status"] == "submitted"


def test_an_extension_to_the_end_of_the_calendar_during_a_pause_can_be_resumed(world):
    world.exam.time_limit_mins = None
    world.exam.save()
    _start(world)
    staff = client_for(world, "staff")
    path = f"/api/v1/attempts/{world.attempt.pk}"
    assert staff.post(f"{path}/pause", {}, format="json").status_code == 200
    # The REST API takes years 1900 to 9899 (the domain bounds the rest: test_calendar_edges).
    refused = staff.put(_extension_path(world), {"value": "9999-12-31T23:59:59Z"}, format="json")
    _error(refused, 400, "invalid_allowance")
    granted = staff.put(_extension_path(world), {"value": "9899-12-31T23:59:59Z"}, format="json")
    assert granted.status_code == 201, granted.content
    resumed = staff.post(f"{path}/resume", {}, format="json")
    assert resumed.status_code == 200, resumed.content
    stored = Attempt.objects.get(pk=world.attempt.pk)
    assert stored.paused_at is None
    extension = datetime(9899, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert extension <= stored.deadline_at <= extension + timedelta(minutes=1)  # + the pause


# ---------------------------------------------------------------------------------------------
# Item 2
# ---------------------------------------------------------------------------------------------


def test_an_extension_ending_before_the_running_attempt_started_is_a_400(world):
    _start(world)
    before = Attempt.objects.get(pk=world.attempt.pk).deadline_at
    staff = client_for(world, "staff")
    response = staff.put(_extension_path(world), {"value": "1950-01-01T00:00:00Z"}, format="json")
    _error(response, 400, "invalid_allowance")
    assert "before it started" in response.json()["detail"]
    assert not Allowance.objects.exists()
    assert Attempt.objects.get(pk=world.attempt.pk).deadline_at == before
    assert attempts_expire() == 0


# ---------------------------------------------------------------------------------------------
# Item 5
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["the expiry job", "the submission"])
def test_a_submission_after_the_grace_period_is_a_409_whoever_came_first(world, settings, first):
    settings.PROCTORING_SUBMIT_GRACE_SECONDS = 5
    client = _start(world)
    Attempt.objects.filter(pk=world.attempt.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=30)
    )
    if first == "the expiry job":
        assert attempts_expire() == 1
    for _ in range(2):
        response = client.post(f"/api/v1/attempts/{world.attempt.pk}/submit")
        _error(response, 409, "deadline_passed")
    assert Attempt.objects.get(pk=world.attempt.pk).status == "submitted"
    causes = AttemptHistory.objects.filter(attempt_id=world.attempt.pk).values_list(
        "cause", flat=True
    )
    timeouts = [cause for cause in causes if cause in {"deadline", "late submission"}]
    assert len(timeouts) == 1


def test_a_second_submission_of_an_attempt_submitted_in_time_is_a_200(world):
    client = _start(world)
    path = f"/api/v1/attempts/{world.attempt.pk}/submit"
    assert client.post(path).status_code == 200
    Attempt.objects.filter(pk=world.attempt.pk).update(
        deadline_at=timezone.now() - timedelta(hours=1)
    )
    again = client.post(path)
    assert again.status_code == 200
    assert again.json()["status"] == "submitted"


# ---------------------------------------------------------------------------------------------
# Item 13
# ---------------------------------------------------------------------------------------------


def test_starting_a_past_due_exam_is_a_409_exam_past_due(world):
    world.exam.due_date = timezone.now() - timedelta(minutes=1)
    world.exam.save()
    response = client_for(world, "learner").post(f"/api/v1/attempts/{world.attempt.pk}/start")
    _error(response, 409, "exam_past_due")
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"


def test_creating_and_starting_a_past_due_exam_is_a_409_and_creates_nothing(world):
    world.exam.due_date = timezone.now() - timedelta(minutes=1)
    world.exam.save()
    Attempt.objects.all().delete()
    response = client_for(world, "learner").post(
        "/api/v1/attempts", {"exam_id": world.exam.pk, "start": True}, format="json"
    )
    _error(response, 409, "exam_past_due")
    assert not Attempt.objects.exists()


def test_a_learner_with_an_extension_starts_a_past_due_exam(world):
    world.exam.due_date = timezone.now() - timedelta(minutes=1)
    world.exam.save()
    extension = (timezone.now() + timedelta(days=1)).isoformat()
    granted = client_for(world, "staff").put(
        _extension_path(world), {"value": extension}, format="json"
    )
    assert granted.status_code == 201
    assert _start(world) is not None


def test_an_attempt_never_started_reads_expired_after_the_due_date(world):
    world.exam.due_date = timezone.now() - timedelta(minutes=1)
    world.exam.save()
    assert attempts_expire() == 1
    body = client_for(world, "learner").get(f"/api/v1/attempts/{world.attempt.pk}").json()
    assert body["status"] == "expired"
    assert body["deadline_at"] is None
