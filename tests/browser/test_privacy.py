"""Privacy: snapshots only to the course's reviewers (each look logged), the retention
command, and the learner's retirement; and what the running exam page is told to observe."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from proctoring.accounts.retirement import user_retire
from proctoring.browser.models import (
    BrowserDataView,
    BrowserEvent,
    BrowserExamSettings,
    BrowserSnapshot,
)
from proctoring.core.clock import now
from proctoring.courses.models import CourseRole
from tests.browser.conftest import JPEG, event, post_batch, running, session_of, snapshot
from tests.factories import CourseFactory, CourseRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_snapshot(client, browser_world):
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("copy")], "snapshots": [snapshot()]})
    return attempt, BrowserSnapshot.objects.get(attempt=attempt)


def test_course_staff_see_a_snapshot_and_the_look_is_logged(client, browser_world, with_snapshot):
    attempt, shot = with_snapshot
    client.force_login(browser_world.staff)
    response = client.get(f"/staff/browser/snapshots/{shot.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    view = BrowserDataView.objects.get(snapshot=shot)
    assert (view.viewer_id, view.attempt_id, view.what) == (
        browser_world.staff.pk,
        attempt.pk,
        "snapshot",
    )


def test_the_learner_and_other_courses_staff_do_not_see_snapshots(
    client, browser_world, with_snapshot
):
    _, shot = with_snapshot
    client.force_login(browser_world.learner)
    assert client.get(f"/staff/browser/snapshots/{shot.pk}").status_code == 403
    elsewhere = UserFactory(username="elsewhere")
    CourseRoleFactory(user=elsewhere, course=CourseFactory(), role=CourseRole.Role.STAFF)
    client.force_login(elsewhere)
    assert client.get(f"/staff/browser/snapshots/{shot.pk}").status_code == 403
    assert client.get(f"/staff/attempts/{shot.attempt_id}").status_code == 403
    client.logout()
    assert client.get(f"/staff/browser/snapshots/{shot.pk}").status_code == 302  # sign in
    client.force_login(browser_world.staff)
    assert client.get("/staff/browser/snapshots/999999").status_code == 404
    assert not BrowserDataView.objects.exists()


def test_snapshots_are_not_under_a_public_url(client, browser_world, with_snapshot):
    _, shot = with_snapshot
    client.logout()
    for url in (f"/media/{shot.path}", f"/{shot.path}", f"/static/{shot.path}"):
        assert client.get(url).status_code == 404


def test_the_purge_deletes_old_snapshots_files_and_rows(
    browser_world, with_snapshot, snapshot_folder
):
    attempt, old = with_snapshot
    BrowserSnapshot.objects.filter(pk=old.pk).update(received_at=now() - timedelta(days=31))
    recent = BrowserSnapshot.objects.create(
        attempt=attempt,
        client_id="recent",
        kind="camera",
        taken_at=now(),
        received_at=now() - timedelta(days=29),
        path=old.path.replace(".jpg", "-recent.jpg"),
        size=1,
        content_type="image/jpeg",
    )
    (snapshot_folder / recent.path).write_bytes(JPEG)
    out = StringIO()
    call_command("browser_purge", stdout=out)  # PROCTORING_BROWSER_RETENTION_DAYS: 30
    assert "Deleted 1 snapshot" in out.getvalue()
    assert list(BrowserSnapshot.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not (snapshot_folder / old.path).exists()
    assert (snapshot_folder / recent.path).exists()
    assert BrowserEvent.objects.filter(attempt=attempt).exists()  # events stay with the attempt
    call_command("browser_purge", "--days", "28", stdout=StringIO())
    assert not BrowserSnapshot.objects.exists()
    with pytest.raises(CommandError):
        call_command("browser_purge", "--days", "0", stdout=StringIO())


def test_retirement_deletes_the_learners_proctoring_data(
    browser_world, with_snapshot, snapshot_folder, django_capture_on_commit_callbacks
):
    attempt, shot = with_snapshot
    with django_capture_on_commit_callbacks(execute=True):
        user_retire(username=browser_world.learner.username)
    assert not BrowserSnapshot.objects.filter(attempt=attempt).exists()
    assert not BrowserEvent.objects.filter(attempt=attempt).exists()
    assert not (snapshot_folder / shot.path).exists()
    session = session_of(attempt)
    assert session.checks == {} and session.consent_text == ""


def test_the_running_page_loads_the_observation_with_the_exams_settings(client, browser_world):
    BrowserExamSettings.objects.create(
        exam=browser_world.exam, snapshot_interval_seconds=17, observe_clipboard=False
    )
    attempt = running(browser_world, client)
    page = client.get(f"/exams/{browser_world.exam.pk}").content.decode()
    assert 'id="browser-observer"' in page
    assert f'data-events-url="/attempts/{attempt.pk}/browser-events"' in page
    assert 'data-snapshot-interval="17"' in page and 'data-clipboard="0"' in page
    assert "/static/web/browser-proctoring.js" in page


def test_a_timed_exam_page_loads_no_observation(client, world):
    from proctoring.attempts import actions

    actions.attempt_create_for_learner(exam_id=world.exam.pk, user_id=world.learner.pk, start=True)
    client.force_login(world.learner)
    assert 'id="browser-observer"' not in client.get(f"/exams/{world.exam.pk}").content.decode()


def test_a_missing_file_is_a_404_not_a_500(client, browser_world, with_snapshot):
    _, shot = with_snapshot
    client.force_login(browser_world.staff)
    with mock.patch("proctoring.web.views.browser.snapshot_storage") as storage:
        storage.return_value.open.side_effect = FileNotFoundError
        assert client.get(f"/staff/browser/snapshots/{shot.pk}").status_code == 404
