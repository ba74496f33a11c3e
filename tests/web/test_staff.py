"""The course staff's dashboard: exams, attempts, an attempt's actions, allowances, CSV."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from proctoring.allowances.models import Allowance
from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.exams.models import Exam
from proctoring.reviews.models import Review
from tests.factories import CourseRoleFactory, ExamFactory, UserFactory
from tests.web.conftest import COURSE_ID

pytestmark = pytest.mark.django_db

ATTEMPTS = f"/staff/courses/{COURSE_ID}/attempts"


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def _start(world, user=None) -> Attempt:
    return actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=(user or world.learner).pk, start=True
    )


def _learners(world, count):
    users = []
    for _ in range(count):
        user = UserFactory()
        CourseRoleFactory(user=user, course=world.course, role="learner")
        _start(world, user)
        users.append(user)
    return users


def test_only_course_staff_see_the_course(client, world):
    for user, status in ((world.learner, 403), (world.outsider, 403), (world.staff, 200)):
        client.force_login(user)
        response = client.get(ATTEMPTS)
        assert response.status_code == status
        assert response["Content-Type"].startswith("text/html")
    client.logout()
    assert client.get(ATTEMPTS).status_code == 302  # to the sign-in page


def test_global_staff_see_every_course(client, world):
    client.force_login(UserFactory(username="root", is_staff=True))
    assert client.get(ATTEMPTS).status_code == 200
    assert "Web Course" in client.get("/staff/").content.decode()


def test_attempts_filter_search_and_paginate(staff_client, world):
    _start(world)
    other = ExamFactory(course=world.course, exam_name="Final")
    actions.attempt_create_for_learner(exam_id=other.pk, user_id=world.other_learner.pk)
    page = staff_client.get(ATTEMPTS, {"q": "learn"}).content.decode()
    assert "1 attempt" in page and "learner" in page
    page = staff_client.get(ATTEMPTS, {"exam": other.pk, "status": "created"}).content.decode()
    assert "otherlearner" in page and "1 attempt" in page
    page = staff_client.get(ATTEMPTS, {"status": "verified"}).content.decode()
    assert "No attempt matches" in page
    _learners(world, 26)
    first = staff_client.get(ATTEMPTS).content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in staff_client.get(ATTEMPTS, {"page": 2}).content.decode()


def test_the_attempts_page_costs_six_statements_whatever_the_course_size(
    staff_client, world, django_assert_max_num_queries
):
    _learners(world, 3)
    with django_assert_max_num_queries(6):
        assert staff_client.get(ATTEMPTS).status_code == 200
    _learners(world, 30)
    with django_assert_max_num_queries(6):
        assert staff_client.get(ATTEMPTS, {"page": 2, "q": "user"}).status_code == 200


def test_the_htmx_filter_answers_the_results_only(staff_client, world):
    content = staff_client.get(ATTEMPTS, HTTP_HX_REQUEST="true").content.decode()
    assert content.startswith('<div id="attempt-results">')


def test_staff_add_time_pause_resume_review_and_reset(staff_client, world):
    attempt = _start(world)
    deadline = attempt.deadline_at
    url = f"/staff/attempts/{attempt.pk}"
    assert (
        staff_client.post(f"{url}/add_time", {"minutes": 10, "reason": "fire alarm"}).status_code
        == 302
    )
    attempt.refresh_from_db()
    assert (attempt.deadline_at - deadline).total_seconds() == 600
    staff_client.post(f"{url}/pause")
    attempt.refresh_from_db()
    assert attempt.paused_at is not None
    staff_client.post(f"{url}/resume")
    attempt.refresh_from_db()
    assert attempt.paused_at is None
    page = staff_client.get(url).content.decode()
    assert "fire alarm" in page and "Time added" in page
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    response = staff_client.post(f"{url}/review", {"verdict": "rejected", "reason": "phone"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "rejected"
    assert Review.objects.get(attempt=attempt).reason == "phone"
    override = staff_client.post(f"{url}/review", {"verdict": "verified"})
    assert override.status_code == 400  # an override needs a reason: the service says so
    staff_client.post(f"{url}/reset")
    attempt.refresh_from_db()
    assert attempt.archived_at is not None


def test_staff_of_another_course_cannot_act(client, world):
    attempt = _start(world)
    stranger = UserFactory(username="stranger")
    CourseRoleFactory(user=stranger, role="staff")
    client.force_login(stranger)
    assert client.post(f"/staff/attempts/{attempt.pk}/add_time", {"minutes": 5}).status_code == 403
    assert client.get(f"/staff/attempts/{attempt.pk}").status_code == 403
    assert client.post("/staff/attempts/999999/pause").status_code == 404


def test_staff_create_and_edit_an_exam(staff_client, world):
    response = staff_client.post(
        f"/staff/courses/{COURSE_ID}/exams/new",
        {"exam_name": "Quiz", "content_id": "quiz", "time_limit_mins": 20, "is_active": "on"},
    )
    assert response.status_code == 302
    exam = Exam.objects.get(content_id="quiz")
    assert exam.time_limit_mins == 20 and not exam.is_proctored
    staff_client.post(
        f"/staff/exams/{exam.pk}/edit",
        {"exam_name": "Quiz 2", "content_id": "ignored", "time_limit_mins": 25},
    )
    exam.refresh_from_db()
    assert (exam.exam_name, exam.content_id, exam.time_limit_mins, exam.is_active) == (
        "Quiz 2",
        "quiz",
        25,
        False,
    )
    duplicate = staff_client.post(
        f"/staff/courses/{COURSE_ID}/exams/new", {"exam_name": "Again", "content_id": "quiz"}
    )
    assert duplicate.status_code == 409


def test_staff_grant_and_revoke_one_allowance(staff_client, world):
    url = f"/staff/courses/{COURSE_ID}/allowances"
    data = {"username": "learner", "exam": world.exam.pk, "key": "additional_time_granted"}
    assert staff_client.post(url, {**data, "value": "30"}).status_code == 302
    assert Allowance.objects.get(user=world.learner).value == "30"
    bad = staff_client.post(url, {**data, "value": "lots"})
    assert bad.status_code == 400
    unknown = staff_client.post(url, {**data, "username": "nobody", "value": "5"})
    assert unknown.status_code == 404
    staff_client.post(
        url,
        {"revoke": "1", "exam": world.exam.pk, "user_id": world.learner.pk, "key": data["key"]},
    )
    assert not Allowance.objects.exists()
    assert staff_client.post(url, {"revoke": "1", "exam": "x", "key": "y"}).status_code == 400


def test_bulk_allowances_from_csv_preview_then_grant(staff_client, world):
    text = (
        "username,exam,key,value\n"
        f"learner,{world.exam.pk},additional_time_granted,15\n"
        "otherlearner,midterm,time_multiplier,1.5\n"
        "ghost,midterm,additional_time_granted,10\n"
        "learner,nope,additional_time_granted,10\n"
        "learner,midterm,additional_time_granted,many\n"
        "staff,midterm,additional_time_granted,10\n"
        "short,row\n"
    )
    url = f"/staff/courses/{COURSE_ID}/allowances/csv"
    upload = SimpleUploadedFile("a.csv", text.encode(), content_type="text/csv")
    preview = staff_client.post(url, {"file": upload})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "2 rows can be granted" in page
    assert "There is no user &#x27;ghost&#x27;" in page
    assert "There is no exam &#x27;nope&#x27;" in page
    assert "Nobody grants themselves" in page
    assert "A row has 4 columns" in page
    assert not Allowance.objects.exists()
    staff_client.post(url, {"confirm": "1", "text": text})
    granted = dict(Allowance.objects.values_list("user__username", "value"))
    assert granted == {"learner": "15", "otherlearner": "1.5"}


def test_csv_export_of_attempts(staff_client, world):
    world.learner.email = "=cmd@example.org"
    world.learner.save()
    _start(world)
    response = staff_client.get(f"{ATTEMPTS}.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("attempt_id,exam_id,exam_name,username,email")
    assert ",'=cmd@example.org," in lines[1]
    assert len(lines) == 2
