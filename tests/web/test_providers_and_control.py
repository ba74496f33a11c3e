"""The pages of the provider's steps and worker, the access gates, retakes, resume,
onboarding, and staff ending or letting an attempt resume."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from proctoring.access.models import ExamRules
from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.services import attempt_create
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.transition import Move, attempts_transition
from proctoring.providers.callbacks import callback_ready
from tests.web.fakes import ALIAS, FlakyProvider, vendor_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


@pytest.fixture
def vendor(settings, world):
    """The course is proctored by the web tests' provider (instructions, worker)."""
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}, ALIAS: vendor_entry()}
    world.course.provider = ALIAS
    world.course.save()
    return world


def _act(client, world, action, **data):
    return client.post(f"/exams/{world.exam.pk}/act", {"action": action, **data})


def _attempt(world) -> Attempt:
    return Attempt.objects.get(exam=world.exam, user=world.learner, archived_at__isnull=True)


def _started(world) -> Attempt:
    return actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, start=True
    )


def _move(attempt, status):
    attempts_transition(attempts=[attempt], move=Move(AttemptStatus(status), actor_id=None))


# The provider's steps: instructions, download, waiting for its ready.


def test_a_proctored_start_waits_for_the_providers_ready(learner_client, vendor):
    world = vendor
    assert _act(learner_client, world, "start").status_code == 302
    attempt = _attempt(world)
    assert attempt.status == AttemptStatus.CREATED  # registered, not started
    page = learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    assert "data-ready-poll" in page
    assert f"/attempts/{attempt.pk}/provider" in page
    assert "Start my exam" not in page
    steps = learner_client.get(f"/attempts/{attempt.pk}/provider").content.decode()
    assert "Run the Acme proctoring app." in steps
    assert 'href="https://vendor.example/download' in steps
    waiting = learner_client.get(f"/attempts/{attempt.pk}/ready")
    assert waiting.status_code == 204
    callback_ready(alias=ALIAS, attempt=attempt)
    ready = learner_client.get(f"/attempts/{attempt.pk}/ready")
    assert ready.status_code == 200 and ready["HX-Refresh"] == "true"
    page = learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    assert "The provider reports you are ready." in page
    assert "Start my exam" in page and "data-ready-poll" not in page
    _act(learner_client, world, "start")
    assert _attempt(world).status == AttemptStatus.STARTED


def test_a_provider_with_a_setup_page_sends_the_learner_there(learner_client, settings, world):
    entry = {"CLASS": "tests.web.fakes.SetupPageProvider", "OPTIONS": {}}
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}, ALIAS: entry}
    world.course.provider = ALIAS
    world.course.save()
    _act(learner_client, world, "start")
    attempt = _attempt(world)
    steps = learner_client.get(f"/attempts/{attempt.pk}/provider").content.decode()
    assert f'href="https://tool.example/setup/{attempt.external_id}" data-setup' in steps
    info = learner_client.get(f"/api/v1/attempts/{attempt.pk}/provider").json()
    assert info["setup_url"] == f"https://tool.example/setup/{attempt.external_id}"
    assert info["download_url"] == ""


def test_the_steps_and_the_poll_are_the_learners_own(client, vendor):
    world = vendor
    client.force_login(world.learner)
    _act(client, world, "start")
    attempt = _attempt(world)
    client.force_login(world.other_learner)
    assert client.get(f"/attempts/{attempt.pk}/provider").status_code == 404
    assert client.get(f"/attempts/{attempt.pk}/ready").status_code == 404


def test_the_running_page_loads_the_providers_worker_with_its_origin_allowed(
    learner_client, vendor, django_assert_max_num_queries
):
    world = vendor
    _act(learner_client, world, "start")
    attempt = _attempt(world)
    callback_ready(alias=ALIAS, attempt=attempt)
    _act(learner_client, world, "start")
    with django_assert_max_num_queries(3):
        response = learner_client.get(f"/exams/{world.exam.pk}")
    page = response.content.decode()
    assert 'id="provider-worker"' in page
    assert 'data-worker-url="https://vendor.example/worker.js"' in page
    assert 'data-ping-interval="30"' in page
    assert f'data-ping-missed-url="/api/v1/attempts/{attempt.pk}/ping-missed"' in page
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' https://vendor.example;" in policy
    assert "worker-src 'self' blob: https://vendor.example" in policy
    # Another page (not running, no worker) keeps the strict policy.
    other = learner_client.get("/")
    assert "vendor.example" not in other["Content-Security-Policy"]


def test_a_timed_exam_page_has_no_worker(learner_client, world):
    _started(world)
    response = learner_client.get(f"/exams/{world.exam.pk}")
    assert 'id="provider-worker"' not in response.content.decode()
    assert "script-src 'self';" in response["Content-Security-Policy"]


# The gates: an access code, a refusal shown on the page.


def test_an_exam_with_an_access_code_asks_it_and_a_refusal_shows_on_the_page(learner_client, world):
    ExamRules.objects.create(exam=world.exam, access_code_hash=make_password("blue-falcon"))
    page = learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    assert 'name="access_code"' in page
    refused = _act(learner_client, world, "start", access_code="red-sparrow")
    assert refused.status_code in (400, 403)
    content = refused.content.decode()
    assert "data-refusal" in content and 'id="attempt-panel"' in content
    assert not Attempt.objects.filter(status=AttemptStatus.STARTED).exists()
    assert _act(learner_client, world, "start", access_code="blue-falcon").status_code == 302
    assert _attempt(world).status == AttemptStatus.STARTED


def test_an_exam_without_a_code_asks_none(learner_client, world):
    page = learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    assert 'name="access_code"' not in page


# Retakes, resume, onboarding.


def test_the_learner_retakes_a_practice_exam(learner_client, world):
    world.exam.is_practice_exam = True
    world.exam.save()
    attempt = _started(world)
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    page = learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    assert "Take this practice exam again" in page
    assert _act(learner_client, world, "retake").status_code == 302
    new = _attempt(world)
    assert new.pk != attempt.pk and new.attempt_number == attempt.attempt_number + 1
    assert "Start my exam" in learner_client.get(f"/exams/{world.exam.pk}").content.decode()


def test_a_graded_exam_offers_no_retake(learner_client, world):
    attempt = _started(world)
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    assert (
        "Take this practice exam again"
        not in learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    )
    assert _act(learner_client, world, "retake").status_code == 409


def test_staff_allow_resume_and_the_learner_continues(client, world):
    attempt = _started(world)
    _move(attempt, "error")
    client.force_login(world.learner)
    page = client.get(f"/exams/{world.exam.pk}").content.decode()
    assert "Continue my exam" not in page
    assert _act(client, world, "continue").status_code == 409  # staff have not allowed it
    client.force_login(world.staff)
    staff_page = client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    assert "Allow the learner to continue" in staff_page
    response = client.post(f"/staff/attempts/{attempt.pk}/resumable", {"reason": "vendor down"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.ready_to_resume
    client.force_login(world.learner)
    assert "Continue my exam" in client.get(f"/exams/{world.exam.pk}").content.decode()
    assert _act(client, world, "continue").status_code == 302
    new = _attempt(world)
    assert new.pk != attempt.pk
    assert new.time_remaining_seconds == attempt.time_remaining_seconds


def test_allow_resume_of_a_running_attempt_is_refused(client, world):
    attempt = _started(world)
    client.force_login(world.staff)
    assert (
        "Allow the learner to continue"
        not in client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    )
    assert client.post(f"/staff/attempts/{attempt.pk}/resumable").status_code == 409


@pytest.mark.parametrize(
    ("status", "next_step"),
    [
        ("onboarding_missing", "take it, then come back"),
        ("onboarding_pending", "being reviewed"),
        ("onboarding_failed", "was not accepted"),
        ("onboarding_expired", "has expired"),
    ],
)
def test_each_onboarding_status_says_what_to_do(learner_client, world, status, next_step):
    attempt = attempt_create(exam_id=world.exam.pk, user_id=world.learner.pk)
    _move(attempt, status)
    page = learner_client.get(f"/exams/{world.exam.pk}").content.decode()
    assert "Onboarding is needed" in page and next_step in page


# Staff end a running attempt now, with a reason.


def test_staff_end_a_running_attempt_with_a_reason(client, world):
    attempt = _started(world)
    client.force_login(world.staff)
    assert "End the attempt now" in client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    refused = client.post(f"/staff/attempts/{attempt.pk}/end", {"reason": "  "})
    assert refused.status_code == 400  # a reason is required: the service says so
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.STARTED
    ended = client.post(f"/staff/attempts/{attempt.pk}/end", {"reason": "fire alarm"})
    assert ended.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert "fire alarm" in client.get(f"/staff/attempts/{attempt.pk}").content.decode()


def test_only_course_staff_end_an_attempt(client, world):
    attempt = _started(world)
    client.force_login(world.learner)
    assert client.post(f"/staff/attempts/{attempt.pk}/end", {"reason": "x"}).status_code == 403
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.STARTED


def test_the_staff_timeline_shows_the_workers_missed_pings(client, vendor):
    world = vendor
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, taking_as_proctored=True
    )
    client.force_login(world.learner)
    response = client.post(
        f"/api/v1/attempts/{attempt.pk}/ping-missed",
        {"detail": "no echo within 30 seconds"},
        content_type="application/json",
    )
    assert response.status_code == 201
    client.force_login(world.staff)
    page = client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    assert "ping_missed" in page and "no echo within 30 seconds" in page


def test_a_provider_outage_at_the_start_is_told_and_the_learner_tries_again(
    learner_client, world, settings
):
    settings.PROCTORING_BACKENDS = {
        "DEFAULT": "null",
        "null": {},
        ALIAS: {**vendor_entry(), "CLASS": "tests.web.fakes.FlakyProvider"},
    }
    world.course.provider = ALIAS
    world.course.save()
    FlakyProvider.down = True
    try:
        refused = _act(learner_client, world, "start")
        assert refused.status_code == 503
        content = refused.content.decode()
        assert "did not answer in time" in content and "data-registration-failed" in content
        assert "Start my exam" in content and "data-ready-poll" not in content
        FlakyProvider.down = False
        assert _act(learner_client, world, "start").status_code == 302
    finally:
        FlakyProvider.down = True
    attempt = _attempt(world)
    assert attempt.external_id and attempt.status == AttemptStatus.CREATED
    assert "data-ready-poll" in learner_client.get(f"/exams/{world.exam.pk}").content.decode()


def test_an_htmx_start_into_a_worker_page_reloads_it(learner_client, vendor):
    world = vendor
    _act(learner_client, world, "start")
    callback_ready(alias=ALIAS, attempt=_attempt(world))
    response = learner_client.post(
        f"/exams/{world.exam.pk}/act", {"action": "start"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Refresh"] == "true"
    assert "vendor.example" in response["Content-Security-Policy"]
