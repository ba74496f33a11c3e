"""The ``browser`` provider, each exam's settings, and the learner's consent and checks page,
which reports the attempt ready."""

from __future__ import annotations

import pytest

from proctoring.attempts.statuses import AttemptStatus
from proctoring.browser.config import CONSENT_VERSION
from proctoring.browser.models import BrowserExamSettings
from proctoring.browser.provider import BrowserProvider
from proctoring.browser.services import browser_settings_for_exam
from proctoring.providers.registry import provider_get
from proctoring.providers.services import attempt_provider_info
from tests.browser.conftest import created, session_of

pytestmark = pytest.mark.django_db


def test_browser_is_a_built_in_alias_that_proctors(settings):
    settings.PROCTORING_BACKENDS = {"DEFAULT": "null", "null": {}}
    provider = provider_get("browser")
    assert isinstance(provider, BrowserProvider)
    assert provider.proctors


def test_the_attempt_gets_the_sessions_own_external_id(browser_world):
    attempt = created(browser_world)
    session = session_of(attempt)
    assert attempt.external_id == session.external_id
    assert attempt.external_id.startswith("browser-")
    assert attempt.status == AttemptStatus.CREATED
    browser_world.exam.refresh_from_db()
    assert browser_world.exam.external_id == f"browser-exam-{browser_world.exam.pk}"


def test_the_instructions_lead_to_the_setup_page(browser_world):
    attempt = created(browser_world)
    info = attempt_provider_info(attempt=attempt)
    assert info.proctored
    assert info.setup_url == f"/browser/setup/{attempt.external_id}"
    assert info.instructions


def test_the_exam_page_shows_the_continue_button(client, browser_world):
    attempt = created(browser_world)
    client.force_login(browser_world.learner)
    page = client.get(f"/attempts/{attempt.pk}/provider").content.decode()
    assert f'href="/browser/setup/{attempt.external_id}"' in page
    assert "Continue to the proctoring setup" in page


def test_the_setup_page_says_what_is_observed_kept_and_how_long(client, browser_world, settings):
    settings.PROCTORING_BROWSER_RETENTION_DAYS = 14
    BrowserExamSettings.objects.create(
        exam=browser_world.exam, snapshot_interval_seconds=45, observe_clipboard=False
    )
    attempt = created(browser_world)
    client.force_login(browser_world.learner)
    page = client.get(f"/browser/setup/{attempt.external_id}").content.decode()
    assert "a webcam picture every 45 seconds" in page
    assert "kept 14 days" in page
    assert "paste" not in page
    assert CONSENT_VERSION in page


def test_consent_with_passing_checks_is_recorded_and_makes_the_attempt_ready(client, browser_world):
    attempt = created(browser_world)
    client.force_login(browser_world.learner)
    response = client.post(
        f"/browser/setup/{attempt.external_id}",
        {"agree": "yes", "camera": "ok", "fullscreen": "ok"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/exams/{browser_world.exam.pk}"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.READY_TO_START
    session = session_of(attempt)
    assert session.consented_at is not None
    assert session.consent_version == CONSENT_VERSION
    assert "webcam picture" in session.consent_text
    assert session.checks == {"camera": True, "fullscreen": True}
    history = attempt.history.order_by("-id").first()
    assert history.cause == "provider:browser:consent"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"camera": "ok", "fullscreen": "ok"}, "Tick the box"),
        ({"agree": "yes", "fullscreen": "ok"}, "needs a camera"),
        ({"agree": "yes", "camera": "ok"}, "needs full screen"),
    ],
)
def test_no_agreement_or_a_failed_check_is_refused_and_changes_nothing(
    client, browser_world, data, message
):
    attempt = created(browser_world)
    client.force_login(browser_world.learner)
    response = client.post(f"/browser/setup/{attempt.external_id}", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED
    assert session_of(attempt).consented_at is None


def test_an_exam_without_camera_needs_no_camera_check(client, browser_world):
    BrowserExamSettings.objects.create(exam=browser_world.exam, camera_required=False)
    attempt = created(browser_world)
    client.force_login(browser_world.learner)
    response = client.post(
        f"/browser/setup/{attempt.external_id}", {"agree": "yes", "fullscreen": "ok"}
    )
    assert response.status_code == 302


def test_another_learners_setup_is_not_found(client, browser_world):
    attempt = created(browser_world)
    client.force_login(browser_world.other_learner)
    assert client.get(f"/browser/setup/{attempt.external_id}").status_code == 404
    response = client.post(
        f"/browser/setup/{attempt.external_id}",
        {"agree": "yes", "camera": "ok", "fullscreen": "ok"},
    )
    assert response.status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED
    assert client.get("/browser/setup/browser-unknown").status_code == 404


def test_settings_default_from_the_setting_when_the_exam_has_none(browser_world, settings):
    settings.PROCTORING_BROWSER_DEFAULTS = {"snapshot_interval_seconds": 20, "bogus": 1}
    current = browser_settings_for_exam(exam_id=browser_world.exam.pk)
    assert current.pk is None
    assert current.snapshot_interval_seconds == 20


def test_course_staff_edit_an_exams_settings(client, browser_world):
    client.force_login(browser_world.staff)
    url = f"/staff/exams/{browser_world.exam.pk}/browser"
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "observe_focus": "on",
        "camera_snapshots": "on",
        "snapshot_interval_seconds": "30",
        "min_window_width": "640",
        "min_window_height": "400",
        "away_seconds_limit": "10",
        "heartbeat_gap_seconds": "45",
        "auto_review_when_clean": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 200
    saved = BrowserExamSettings.objects.get(exam=browser_world.exam)
    assert saved.snapshot_interval_seconds == 30
    assert saved.auto_review_when_clean
    assert not saved.camera_required and not saved.observe_clipboard
    bad = client.post(url, {**form, "snapshot_interval_seconds": "-3"})
    assert bad.status_code == 400
    saved.refresh_from_db()
    assert saved.snapshot_interval_seconds == 30


def test_learners_and_other_courses_staff_cannot_edit_settings(client, browser_world):
    client.force_login(browser_world.learner)
    url = f"/staff/exams/{browser_world.exam.pk}/browser"
    assert client.get(url).status_code == 403
    assert client.post(url, {"snapshot_interval_seconds": "5"}).status_code == 403
    assert not BrowserExamSettings.objects.exists()
    client.force_login(browser_world.staff)
    assert client.get("/staff/exams/999999/browser").status_code == 404


def test_the_admin_edits_settings_and_only_lists_the_view_log(client, browser_world):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    add = client.post(
        "/admin/browser/browserexamsettings/add/",
        {
            "exam": browser_world.exam.pk,
            "snapshot_interval_seconds": "90",
            "min_window_width": "800",
            "min_window_height": "500",
            "away_seconds_limit": "30",
            "heartbeat_gap_seconds": "60",
        },
    )
    assert add.status_code == 302
    assert BrowserExamSettings.objects.get(exam=browser_world.exam).snapshot_interval_seconds == 90
    assert client.get("/admin/browser/browserdataview/").status_code == 200
    assert client.get("/admin/browser/browserdataview/add/").status_code == 403
    assert client.get("/admin/browser/browserevent/").status_code == 404
    assert client.get("/admin/browser/browsersnapshot/").status_code == 404
