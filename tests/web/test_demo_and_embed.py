"""`make run`'s demo users reach their places by signing in; the embeddable timer's page."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from proctoring.attempts import actions
from proctoring.devtools.management.commands.load_demo_data import DEMO_COURSE_ID
from proctoring.exams.models import Exam

pytestmark = pytest.mark.django_db


def _sign_in(client, username):
    response = client.post("/signin", {"username": username, "password": "demo"})
    assert response.status_code == 302, response.content
    return client.get(response["Location"]).content.decode()


def test_the_demo_learner_signs_in_and_takes_the_timed_quiz(client):
    call_command("load_demo_data", stdout=io.StringIO())
    home = _sign_in(client, "learner")
    assert "Timed quiz" in home
    quiz = Exam.objects.get(course_id=DEMO_COURSE_ID, exam_name="Timed quiz")
    assert quiz.time_limit_mins == 5
    client.post(f"/exams/{quiz.pk}/act", {"action": "start"})
    assert 'role="timer"' in client.get(f"/exams/{quiz.pk}").content.decode()


def test_the_demo_staff_signs_in_and_sees_the_demo_course(client):
    call_command("load_demo_data", stdout=io.StringIO())
    home = _sign_in(client, "staff")
    assert "Demo Course: Proctored Exams" in home
    attempts = client.get(f"/staff/courses/{DEMO_COURSE_ID}/attempts").content.decode()
    assert "learner2" in attempts


def test_a_wrong_password_stays_on_the_sign_in_page(client, world):
    response = client.post("/signin", {"username": "learner", "password": "nope"})
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()


def test_the_embedded_timer_may_be_framed_by_the_configured_origins_only(client, world, settings):
    settings.PROCTORING_EMBED_ORIGINS = ["https://lms.example.org"]
    client.force_login(world.learner)
    assert "No exam running" in client.get("/embed/timer").content.decode()
    actions.attempt_create_for_learner(exam_id=world.exam.pk, user_id=world.learner.pk, start=True)
    response = client.get("/embed/timer")
    assert 'role="timer"' in response.content.decode()
    assert 'data-origins="https://lms.example.org"' in response.content.decode()
    assert "frame-ancestors 'self' https://lms.example.org" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert client.get("/").get("X-Frame-Options") == "DENY"
