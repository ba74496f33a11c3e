"""POST /launch: a platform token, used once, opens a session on its exam's page."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY

from proctoring.web.models import UsedLaunchToken
from tests.web.conftest import COURSE_ID, launch_token

pytestmark = pytest.mark.django_db


def _launch(client, token):
    return client.post("/launch", {"token": token})


def test_a_valid_token_opens_a_session_on_the_exam_page(client, world):
    token = launch_token(
        "platform-learner-1",
        preferred_username="zoe",
        exam_id=world.exam.pk,
        course_roles={COURSE_ID: "learner"},
        return_url="https://lms.example.org/courses/x",
    )
    response = _launch(client, token)
    assert response.status_code == 302
    assert response["Location"] == f"/exams/{world.exam.pk}"
    assert client.session[SESSION_KEY]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Start my exam" in page.content
    assert b"https://lms.example.org/courses/x" in page.content


def test_the_exam_may_be_named_by_course_and_content_id(client, world):
    token = launch_token(
        "platform-learner-2",
        course_id=COURSE_ID,
        content_id="midterm",
        course_roles={COURSE_ID: "learner"},
    )
    assert _launch(client, token)["Location"] == f"/exams/{world.exam.pk}"


def test_course_staff_land_on_the_exams_attempts(client, world):
    token = launch_token("platform-staff", exam_id=world.exam.pk, course_roles={COURSE_ID: "staff"})
    location = _launch(client, token)["Location"]
    assert location.endswith(f"/attempts?exam={world.exam.pk}")
    assert client.get(location).status_code == 200


def test_a_replayed_token_is_refused_and_opens_no_session(client, world):
    token = launch_token("platform-learner-3", exam_id=world.exam.pk)
    assert _launch(client, token).status_code == 302
    client.logout()
    replay = _launch(client, token)
    assert replay.status_code == 403
    assert b"token_replayed" in replay.content
    assert replay["Content-Type"].startswith("text/html")
    assert SESSION_KEY not in client.session
    assert UsedLaunchToken.objects.count() == 1


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        ({"exp": int(time.time()) - 120}, 403, b"token_expired"),
        ({"exp": int(time.time()) + 3600}, 403, b"token_too_long_lived"),
        ({"iat": None}, 403, b"invalid_claims"),
        ({"jti": None}, 403, b"invalid_claims"),
        ({"exam_id": None}, 403, b"invalid_claims"),
        ({"exam_id": 999999}, 404, b"exam_not_found"),
        ({"exam_id": "x1"}, 400, b"invalid_claims"),
        ({"return_url": "javascript:alert(1)"}, 403, b"invalid_claims"),
        ({"preferred_username": "a\x00b"}, 403, b"invalid_claims"),
    ],
)
def test_a_bad_token_gets_a_clear_error_page_and_no_session(client, world, claims, status, code):
    claims = {"exam_id": world.exam.pk, **claims}
    response = _launch(client, launch_token("platform-learner-4", **claims))
    assert response.status_code == status
    assert code in response.content
    assert SESSION_KEY not in client.session


def test_a_forged_or_missing_token_is_refused(client, world):
    forged = launch_token("platform-learner-5", exam_id=world.exam.pk)[:-4] + "AAAA"
    assert _launch(client, forged).status_code == 403
    assert client.post("/launch", {}).status_code == 400
    assert client.get("/launch").status_code == 405


def test_the_launch_needs_no_csrf_token_but_other_forms_do(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    token = launch_token("platform-learner-6", exam_id=world.exam.pk)
    assert strict.post("/launch", {"token": token}).status_code == 302
    refused = strict.post(f"/exams/{world.exam.pk}/act", {"action": "start"})
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("text/html")
    assert b"Reload the page" in refused.content
    api = strict.post("/api/v1/attempts", {}, content_type="application/json")
    assert api.status_code == 403
    assert api.json()["code"] == "csrf_failed"
