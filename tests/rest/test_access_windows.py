"""Exam windows (issue 15, item 1): the opening time and the due date, per learner and per
group, at their boundaries (one second before and after) and across time zones."""

from datetime import UTC, datetime, timedelta

import pytest

from proctoring.access.models import GateLog
from proctoring.allowances.models import GroupMember
from proctoring.attempts.models import Attempt
from tests.attempts.conftest import FakeClock
from tests.rest.conftest import COURSE_ID, client_for

pytestmark = pytest.mark.django_db

OPENS = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
DUE = datetime(2030, 6, 1, 17, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(OPENS - timedelta(hours=1))
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


def _rules(world, **body):
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/access"
    return staff.patch(path, body, format="json")


def _start(world, persona="learner", **headers):
    client = client_for(world, persona)
    return client.post(f"/api/v1/attempts/{world.attempt.pk}/start", **headers)


def _create_and_start(world, persona="other_learner"):
    client = client_for(world, persona)
    body = {"exam_id": world.exam.pk, "start": True}
    return client.post("/api/v1/attempts", body, format="json")


def _open_exam(world, opens=OPENS, due=DUE):
    world.exam.due_date = due
    world.exam.save()
    assert _rules(world, opens_at=opens.isoformat()).status_code == 200


def test_a_start_one_second_before_opening_is_refused_and_at_opening_allowed(world, clock):
    _open_exam(world)
    clock.set(OPENS - SECOND)
    refused = _start(world)
    assert refused.status_code == 409
    assert refused.json()["code"] == "exam_not_open"
    assert "2030-06-01T09:00:00+00:00" in refused.json()["detail"]
    assert Attempt.objects.get(pk=world.attempt.pk).status == "created"
    clock.set(OPENS)
    assert _start(world).status_code == 200


def test_a_start_one_second_before_the_due_date_is_allowed_and_at_it_refused(world, clock):
    _open_exam(world)
    clock.set(DUE)
    refused = _start(world)
    assert refused.status_code == 409
    assert refused.json()["code"] == "exam_past_due"
    clock.set(DUE - SECOND)
    assert _start(world).status_code == 200


def test_a_create_and_start_before_opening_creates_nothing(world, clock):
    _open_exam(world)
    clock.set(OPENS - SECOND)
    response = _create_and_start(world)
    assert response.status_code == 409
    assert response.json()["code"] == "exam_not_open"
    assert not Attempt.objects.filter(user=world.other_learner).exists()
    assert GateLog.objects.get(user=world.other_learner).outcome == "exam_not_open"


@pytest.mark.parametrize(
    "written", ["2030-06-01T11:00:00+02:00", "2030-06-01T04:00:00-05:00", "2030-06-01T09:00:00Z"]
)
def test_an_opening_time_written_in_any_zone_is_the_same_instant(world, clock, written):
    world.exam.due_date = DUE
    world.exam.save()
    rules = _rules(world, opens_at=written)
    assert rules.status_code == 200
    assert rules.json()["opens_at"] == "2030-06-01T09:00:00Z"
    clock.set(OPENS - SECOND)
    assert _start(world).json()["code"] == "exam_not_open"
    clock.set(OPENS)
    assert _start(world).status_code == 200


def test_a_learner_window_overrides_the_exams_in_its_own_zone(world, clock):
    _open_exam(world)
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/learners/alice"
    # 07:00 in New York (UTC-4 in June) is 11:00 UTC; the due date moves to 20:00 UTC.
    body = {"opens_at": "2030-06-01T07:00:00-04:00", "due_at": "2030-06-01T22:00:00+02:00"}
    assert staff.put(path, body, format="json").status_code == 200
    clock.set(datetime(2030, 6, 1, 11, 0, tzinfo=UTC) - SECOND)
    assert _start(world).json()["code"] == "exam_not_open"
    clock.set(DUE + timedelta(hours=3) - SECOND)  # past the exam's due date, within alice's
    started = _start(world)
    assert started.status_code == 200
    # The clock reads the same due date as the gate: the deadline is cut at 20:00 UTC.
    assert started.json()["deadline_at"] == "2030-06-01T20:00:00Z"


def test_removing_a_learner_window_gives_back_the_exams(world, clock):
    _open_exam(world)
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/learners/alice"
    staff.put(path, {"opens_at": (OPENS - timedelta(hours=2)).isoformat()}, format="json")
    assert staff.delete(path).status_code == 204
    clock.set(OPENS - SECOND)
    assert _start(world).json()["code"] == "exam_not_open"


def _group(world, name, *usernames):
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/allowances/groups/{name}"
    return staff.put(path, {"usernames": list(usernames)}, format="json")


def _group_window(world, name, **body):
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/groups/{name}"
    return staff.put(path, body, format="json")


def test_a_group_window_applies_to_its_members_only(world, clock):
    _open_exam(world)
    assert _group(world, "late-sitting", "alice").status_code == 200
    late = DUE + timedelta(hours=2)
    assert _group_window(world, "late-sitting", due_at=late.isoformat()).status_code == 200
    clock.set(late - SECOND)
    started = _start(world)
    assert started.status_code == 200
    assert started.json()["deadline_at"] == "2030-06-01T19:00:00Z"
    assert _create_and_start(world).json()["code"] == "exam_past_due"  # bob is no member


def test_a_learner_window_beats_its_groups(world, clock):
    _open_exam(world)
    _group(world, "room", "alice")
    _group_window(world, "room", opens_at=(OPENS + timedelta(hours=2)).isoformat())
    staff = client_for(world, "staff")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/learners/alice"
    staff.put(path, {"opens_at": OPENS.isoformat()}, format="json")
    clock.set(OPENS)
    assert _start(world).status_code == 200


def test_an_inverted_window_is_refused_at_every_level(world, clock):
    _open_exam(world)
    staff = client_for(world, "staff")
    inverted = _rules(world, opens_at=DUE.isoformat())
    assert inverted.status_code == 409
    assert inverted.json()["code"] == "invalid_window"
    learner = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/learners/alice"
    response = staff.put(
        learner, {"opens_at": DUE.isoformat(), "due_at": OPENS.isoformat()}, format="json"
    )
    assert response.json()["code"] == "invalid_window"
    # An opening after the exam's own due date is inverted too.
    late_open = staff.put(learner, {"opens_at": (DUE + SECOND).isoformat()}, format="json")
    assert late_open.json()["code"] == "invalid_window"
    _group(world, "room", "alice")
    group = _group_window(world, "room", opens_at=DUE.isoformat(), due_at=DUE.isoformat())
    assert group.status_code == 409
    assert group.json()["code"] == "invalid_window"


def test_overlapping_group_windows_are_refused(world, clock):
    _open_exam(world)
    _group(world, "room-a", "alice")
    _group(world, "room-b", "alice", "bob")
    assert _group_window(world, "room-a", due_at=(DUE + SECOND).isoformat()).status_code == 200
    overlap = _group_window(world, "room-b", due_at=(DUE + 2 * SECOND).isoformat())
    assert overlap.status_code == 409
    assert overlap.json()["code"] == "window_overlap"
    # Nor may a member join a group whose window would overlap one it has.
    _group(world, "room-b", "bob")
    assert _group_window(world, "room-b", due_at=(DUE + 2 * SECOND).isoformat()).status_code == 200
    joined = _group(world, "room-b", "bob", "alice")
    assert joined.json()["code"] == "window_overlap"
    assert not GroupMember.objects.filter(group="room-b", user=world.learner).exists()


def test_windows_are_staff_only(world):
    learner = client_for(world, "learner")
    path = f"/api/v1/courses/{COURSE_ID}/exams/{world.exam.pk}/windows/learners/alice"
    assert learner.put(path, {"opens_at": OPENS.isoformat()}, format="json").status_code == 403
