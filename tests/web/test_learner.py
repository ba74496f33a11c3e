"""The learner's exam page: one state per status, its actions, its clock, its budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from proctoring.allowances.services import allowance_grant
from proctoring.attempts import actions, time_changes
from proctoring.attempts.models import Attempt
from proctoring.attempts.services import attempt_create
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.transition import Move, attempts_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


def _page(client, exam):
    response = client.get(f"/exams/{exam.pk}")
    assert response.status_code == 200
    return response.content.decode()


def _started(world) -> Attempt:
    return actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, start=True
    )


def test_the_entrance_tells_the_time_allowed_with_allowances(learner_client, world):
    allowance_grant(
        exam=world.exam, user_id=world.learner.pk, key="additional_time_granted", value="15"
    )
    page = _page(learner_client, world.exam)
    assert "75 minutes" in page
    assert "Start my exam" in page
    assert "Decline proctoring" in page


def test_a_practice_exam_tells_its_purpose_and_cannot_be_declined(learner_client, world):
    world.exam.is_practice_exam = True
    world.exam.save()
    page = _page(learner_client, world.exam)
    assert "practice exam" in page
    assert "Decline proctoring" not in page


def test_start_then_end_the_exam(learner_client, world):
    response = learner_client.post(
        f"/exams/{world.exam.pk}/act", {"action": "start", "proctored": "yes"}
    )
    assert response.status_code == 302
    attempt = Attempt.objects.get(exam=world.exam, user=world.learner)
    assert attempt.status == AttemptStatus.STARTED
    assert attempt.taking_as_proctored
    page = _page(learner_client, world.exam)
    assert 'role="timer"' in page
    assert "End my exam" in page
    learner_client.post(f"/exams/{world.exam.pk}/act", {"action": "submit"})
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert "Your exam was submitted" in _page(learner_client, world.exam)


def test_an_htmx_action_answers_the_panel_only(learner_client, world):
    response = learner_client.post(
        f"/exams/{world.exam.pk}/act", {"action": "start"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="attempt-panel"')
    assert 'role="timer"' in content


def test_an_htmx_action_that_fails_answers_the_error_fragment(learner_client, world):
    attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    response = learner_client.post(
        f"/exams/{world.exam.pk}/act", {"action": "submit"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert response.content.decode().startswith('<section class="card error"')


def test_declining_without_an_attempt_declines(learner_client, world):
    learner_client.post(f"/exams/{world.exam.pk}/act", {"action": "decline"})
    assert Attempt.objects.get(exam=world.exam, user=world.learner).status == "declined"
    assert "You declined proctoring" in _page(learner_client, world.exam)


def test_an_illegal_action_is_a_clear_error_page(learner_client, world):
    response = learner_client.post(f"/exams/{world.exam.pk}/act", {"action": "submit"})
    assert response.status_code == 409  # nothing started: nothing to end, nothing created
    assert not Attempt.objects.exists()
    bad = learner_client.post(f"/exams/{world.exam.pk}/act", {"action": "fly"})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("text/html")


def test_submitting_a_created_attempt_is_refused_with_409(learner_client, world):
    attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    response = learner_client.post(f"/exams/{world.exam.pk}/act", {"action": "submit"})
    assert response.status_code == 409
    assert b"action_not_allowed" in response.content or b"cannot submit" in response.content


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("submitted", "Your exam was submitted"),
        ("verified", "was verified"),
        ("rejected", "was not accepted"),
        ("error", "had an error"),
        ("timed_out", "Your time ran out"),
        ("expired", "due date passed"),
        ("onboarding_missing", "Onboarding is needed"),
    ],
)
def test_each_status_has_its_page(learner_client, world, status, text):
    attempt = attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    attempts_transition(attempts=[attempt], move=Move(AttemptStatus(status), actor_id=None))
    assert text in _page(learner_client, world.exam)


def test_not_enrolled_inactive_and_past_due(client, world):
    client.force_login(world.outsider)
    assert "You are not enrolled" in _page(client, world.exam)
    client.force_login(world.learner)
    world.exam.due_date = timezone.now() - timedelta(days=1)
    world.exam.save()
    assert "The due date has passed" in _page(client, world.exam)
    world.exam.is_active = False
    world.exam.save()
    assert "This exam is not open" in _page(client, world.exam)


def test_unknown_exam_is_a_404_page_and_anonymous_users_sign_in(client, world):
    assert client.get(f"/exams/{world.exam.pk}").status_code == 302
    client.force_login(world.learner)
    missing = client.get("/exams/999999")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("text/html")


def test_the_exam_page_costs_at_most_three_statements(
    learner_client, world, django_assert_max_num_queries
):
    allowance_grant(exam=world.exam, user_id=world.learner.pk, key="time_multiplier", value="1.5")
    with django_assert_max_num_queries(3):
        assert "90 minutes" in _page(learner_client, world.exam)
    _started(world)
    with django_assert_max_num_queries(3):
        assert 'role="timer"' in _page(learner_client, world.exam)


def test_the_clock_poll_costs_three_statements(
    learner_client, world, django_assert_max_num_queries
):
    attempt = _started(world)
    with django_assert_max_num_queries(3):
        assert learner_client.get(f"/attempts/{attempt.pk}/clock").status_code == 200


def test_the_clock_follows_pauses_and_added_time(learner_client, client, world):
    attempt = _started(world)
    clock = learner_client.get(f"/attempts/{attempt.pk}/clock").json()
    assert clock["status"] == "started"
    assert 5390 <= clock["remaining_seconds"] <= 5400 or 3590 <= clock["remaining_seconds"] <= 3600
    time_changes.attempt_add_time(attempt_id=attempt.pk, minutes=10, actor_id=world.staff.pk)
    time_changes.attempt_pause(attempt_id=attempt.pk, actor_id=world.staff.pk)
    clock = learner_client.get(f"/attempts/{attempt.pk}/clock").json()
    assert clock["paused"] is True
    assert 4190 <= clock["remaining_seconds"] <= 4200


def test_only_the_learner_and_course_staff_read_the_clock(client, world):
    attempt = _started(world)
    for user, status in ((world.other_learner, 404), (world.staff, 200), (world.learner, 200)):
        client.force_login(user)
        assert client.get(f"/attempts/{attempt.pk}/clock").status_code == status


def test_pages_have_a_strict_content_security_policy(learner_client, world):
    response = learner_client.get(f"/exams/{world.exam.pk}")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in response.content.decode()
