"""Course staff's review queue and an attempt's timeline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proctoring import api
from proctoring.attempts.models import Attempt
from proctoring.attempts.staff_control import attempt_end_by_staff
from proctoring.attempts.time_changes import attempt_add_time
from proctoring.providers.models import ProviderEvent
from proctoring.providers.services import provider_event_record
from proctoring.reviews.services import review_by_staff, review_record
from proctoring.reviews.types import ReviewComment, ReviewReport, ReviewStatus
from tests.factories import ExamFactory, UserFactory
from tests.rest.conftest import COURSE_ID, bearer, client_for, mint

pytestmark = pytest.mark.django_db
QUEUE = f"/api/v1/courses/{COURSE_ID}/review-queue"


def _submitted(exam, user, *, proctored=True):
    attempt_id = api.create_exam_attempt(exam.pk, user.pk, taking_as_proctored=proctored)
    api.update_attempt_status(exam.pk, user.pk, "started")
    api.update_attempt_status(exam.pk, user.pk, "submitted")
    return Attempt.objects.get(pk=attempt_id)


def _learners(count):
    return [UserFactory(username=f"q{i:03d}", email=f"q{i:03d}@example.org") for i in range(count)]


def _review(attempt, status, n=0):
    return review_record(
        attempt_id=attempt.pk,
        report=ReviewReport(provider="null", status=ReviewStatus(status), raw={"n": n}),
    )


def test_the_queue_holds_proctored_attempts_awaiting_review_oldest_first(world):
    a, b, c, d = _learners(4)
    first = _submitted(world.exam, a)
    second = _submitted(world.exam, b)
    _review(second, "not_reviewed")  # second review required: still in the queue
    verified = _submitted(world.exam, c)
    _review(verified, "passed")  # decided: out of the queue
    _submitted(world.exam, d, proctored=False)  # timed only: nothing to review
    _submitted(world.other_exam, a)  # another course
    body = client_for(world, "staff").get(QUEUE).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [first.pk, second.pk]
    row = body["results"][1]
    assert row["status"] == "second_review_required"
    assert row["username"] == b.username
    assert row["latest_review"]["review_status"] == "not_reviewed"
    assert row["latest_review"]["verdict"] == "second_review_required"
    assert row["flagged"] is False
    assert body["results"][0]["latest_review"] is None


def test_the_queue_filters_by_exam_status_and_flagged(world):
    other_exam = ExamFactory(course=world.course)
    a, b = _learners(2)
    on_midterm = _submitted(world.exam, a)
    on_other = _submitted(other_exam, b)
    _review(on_other, "not_reviewed")
    client = client_for(world, "staff")
    by_exam = client.get(QUEUE, {"exam_id": world.exam.pk}).json()["results"]
    assert [row["id"] for row in by_exam] == [on_midterm.pk]
    by_status = client.get(QUEUE, {"status": "second_review_required"}).json()["results"]
    assert [row["id"] for row in by_status] == [on_other.pk]
    assert client.get(QUEUE, {"flagged": "true"}).json()["count"] == 0
    _review(on_midterm, "passed")
    _review(on_midterm, "violation", n=1)  # too late: flagged
    flagged = client.get(QUEUE, {"flagged": "true"}).json()["results"]
    assert [(row["id"], row["status"], row["flagged"]) for row in flagged] == [
        (on_midterm.pk, "verified", True)
    ]
    assert client.get(QUEUE, {"status": "flying"}).status_code == 400
    assert client.get(QUEUE, {"flagged": "maybe"}).status_code == 400


def test_only_staff_of_the_course_read_its_queue(world):
    assert client_for(world, "other_staff").get(QUEUE).status_code == 403
    assert client_for(world, "learner").get(QUEUE).status_code == 403


@pytest.mark.parametrize(("attempts", "page_size"), [(3, 3), (30, 10), (30, 50)])
def test_a_queue_page_costs_2_statements_whatever_its_size(
    world, django_assert_num_queries, attempts, page_size
):
    for user in _learners(attempts):
        attempt = _submitted(world.exam, user)
        _review(attempt, "not_reviewed")
    token = mint("carol-1", preferred_username="carol-jwt", course_roles={COURSE_ID: "staff"})
    client = client_for(world, "anonymous")
    client.get(QUEUE, **bearer(token))  # first sight of the user
    # count, page (with latest review and flag): the identity and the course role were read
    # by the first request and are kept 5 s (rest/auth_cache.py)
    with django_assert_num_queries(2):
        response = client.get(QUEUE, {"page_size": page_size}, **bearer(token))
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, attempts)


def test_the_timeline_tells_the_whole_story_in_order(world):
    learner = client_for(world, "learner")
    attempt = world.attempt
    learner.post(f"/api/v1/attempts/{attempt.pk}/start")
    attempt_add_time(attempt_id=attempt.pk, minutes=5, actor_id=world.staff.pk, reason="noise")
    attempt_end_by_staff(attempt_id=attempt.pk, actor_id=world.staff.pk, reason="fire alarm")
    review_by_staff(attempt_id=attempt.pk, verdict="verified", actor_id=world.staff.pk)
    comment = ReviewComment("looked away", status="suspicious", start_seconds=3, stop_seconds=9)
    Attempt.objects.filter(pk=attempt.pk).update(taking_as_proctored=True)
    review_record(
        attempt_id=attempt.pk,
        report=ReviewReport(
            provider="null", status=ReviewStatus.SUSPICIOUS, comments=(comment,), raw={"x": 1}
        ),
    )
    response = client_for(world, "staff").get(f"/api/v1/attempts/{attempt.pk}/timeline")
    assert response.status_code == 200
    entries = response.json()
    assert [(e["source"], e["kind"]) for e in entries] == [
        ("status", "created"),
        ("status", "started"),
        ("time", "add_time"),
        ("status", "submitted"),
        ("review", "verified"),
        ("status", "verified"),
        ("review", "suspicious"),
    ]
    ended = entries[3]
    assert (ended["actor"], ended["cause"], ended["reason"]) == ("carol", "staff:end", "fire alarm")
    assert entries[2]["data"]["seconds"] == 300 and entries[2]["reason"] == "noise"
    late = entries[-1]
    assert late["data"]["flagged"] is True
    assert late["data"]["comments"][0]["comment"] == "looked away"
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)


def test_the_timeline_is_for_staff_of_the_course_only(world):
    path = f"/api/v1/attempts/{world.attempt.pk}/timeline"
    assert client_for(world, "learner").get(path).status_code == 403
    assert client_for(world, "other_staff").get(path).status_code == 403
    assert client_for(world, "staff").get("/api/v1/attempts/999999/timeline").status_code == 404


def test_the_timeline_costs_the_same_statements_whatever_its_length(world):
    client = client_for(world, "staff")
    path = f"/api/v1/attempts/{world.attempt.pk}/timeline"
    client.get(path)
    with CaptureQueriesContext(connection) as short:
        client.get(path)
    client_for(world, "learner").post(f"/api/v1/attempts/{world.attempt.pk}/start")
    for minutes in range(1, 6):
        attempt_add_time(attempt_id=world.attempt.pk, minutes=minutes, actor_id=world.staff.pk)
    with CaptureQueriesContext(connection) as long:
        assert len(client.get(path).json()) == 7
    assert len(long) == len(short)


def test_the_timeline_shows_the_exchanges_with_the_provider(world):
    client_for(world, "learner").post(f"/api/v1/attempts/{world.attempt.pk}/start")
    provider_event_record(
        alias="null",
        operation="ping_missed",
        outcome=ProviderEvent.Outcome.REPORTED,
        message="no ping for 95 s",
        attempt_id=world.attempt.pk,
    )
    entries = client_for(world, "staff").get(f"/api/v1/attempts/{world.attempt.pk}/timeline")
    provider = [e for e in entries.json() if e["source"] == "provider"]
    assert [(e["kind"], e["data"]["outcome"], e["data"]["message"]) for e in provider] == [
        ("ping_missed", "reported", "no ping for 95 s")
    ]
    assert entries.json()[-1]["source"] == "provider"  # after the start, in time order
