"""At submission: the last heartbeat gap, the flags and the summary; the review queue and the
staff's review page (timeline, flags, snapshots, a verdict); the automatic review of a clean
attempt when the exam allows it."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from proctoring.attempts import actions
from proctoring.attempts.models import Attempt
from proctoring.attempts.statuses import AttemptStatus
from proctoring.browser.models import (
    BrowserDataView,
    BrowserEvent,
    BrowserExamSettings,
    BrowserSnapshot,
    Irregularity,
)
from proctoring.browser.services import AUTOMATIC_REVIEWER, browser_attempt_close
from proctoring.core.clock import now
from proctoring.reviews.models import Review
from tests.browser.conftest import event, post_batch, running, session_of, snapshot
from tests.conftest import committed

pytestmark = pytest.mark.django_db


def _exam_settings(world, **values):
    defaults = {"camera_required": False, "camera_snapshots": False}
    return BrowserExamSettings.objects.create(exam=world.exam, **{**defaults, **values})


def _submit(world, attempt) -> Attempt:
    with committed():
        actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=world.learner.pk)
    attempt.refresh_from_db()
    return attempt


def test_submission_records_the_flags_and_the_summary(client, browser_world):
    _exam_settings(browser_world)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("fullscreen_exit"), event("paste")]})
    attempt = _submit(browser_world, attempt)
    assert attempt.status == AttemptStatus.SUBMITTED  # in the review queue
    rules = sorted(Irregularity.objects.filter(attempt=attempt).values_list("rule", "severity"))
    assert rules == [("clipboard", "high"), ("fullscreen_left", "medium")]
    session = session_of(attempt)
    assert session.closed_at is not None
    assert session.summary["flags"] == 2
    assert session.summary["by_rule"] == {"clipboard": 1, "fullscreen_left": 1}
    assert session.summary["by_severity"] == {"low": 0, "medium": 1, "high": 1}
    assert not Review.objects.filter(attempt=attempt).exists()


def test_a_silence_up_to_the_submission_is_a_heartbeat_gap(client, browser_world):
    _exam_settings(browser_world, heartbeat_gap_seconds=60)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event()]})
    later = now() + timedelta(minutes=3)
    with mock.patch("proctoring.browser.services.now", return_value=later):
        Attempt.objects.filter(pk=attempt.pk).update(completed_at=later)
        browser_attempt_close(external_id=attempt.external_id)
    gap = BrowserEvent.objects.get(attempt=attempt, kind="heartbeat_gap")
    assert gap.data["seconds"] >= 179
    assert [i.rule for i in Irregularity.objects.filter(attempt=attempt)] == ["network_gap"]


def test_the_close_is_done_once(client, browser_world):
    _exam_settings(browser_world)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("copy")]})
    attempt = _submit(browser_world, attempt)
    first = session_of(attempt).summary
    BrowserEvent.objects.filter(attempt=attempt).delete()
    assert browser_attempt_close(external_id=attempt.external_id) == first
    assert Irregularity.objects.filter(attempt=attempt).count() == 1
    assert browser_attempt_close(external_id="browser-unknown") is None


def test_a_clean_attempt_is_verified_automatically_when_the_exam_allows_it(client, browser_world):
    _exam_settings(browser_world, auto_review_when_clean=True)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("started"), event()]})
    attempt = _submit(browser_world, attempt)
    assert attempt.status == AttemptStatus.VERIFIED
    review = Review.objects.get(attempt=attempt)
    assert review.source == Review.Source.PROVIDER
    assert review.provider == "browser"
    assert review.reviewer == AUTOMATIC_REVIEWER
    assert review.raw["automatic"] is True


def test_a_flagged_attempt_waits_for_a_human_even_when_automatic_review_is_on(
    client, browser_world
):
    _exam_settings(browser_world, auto_review_when_clean=True)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("copy")]})
    attempt = _submit(browser_world, attempt)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert not Review.objects.filter(attempt=attempt).exists()


def test_a_clean_attempt_waits_for_a_human_when_the_exam_does_not_allow_it(client, browser_world):
    _exam_settings(browser_world, auto_review_when_clean=False)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event()]})
    assert _submit(browser_world, attempt).status == AttemptStatus.SUBMITTED


def test_the_queue_shows_the_summary(client, browser_world):
    _exam_settings(browser_world)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("paste")]})
    _submit(browser_world, attempt)
    client.force_login(browser_world.staff)
    page = client.get(f"/staff/courses/{browser_world.course.course_id}/reviews").content.decode()
    assert 'data-browser-flags="1"' in page
    assert "1 browser flag" in page and "1 high" in page


def test_the_review_page_shows_timeline_flags_and_snapshots_and_logs_the_view(
    client, browser_world
):
    _exam_settings(browser_world)
    attempt = running(browser_world, client)
    post_batch(
        client,
        attempt,
        {"events": [event("page_hidden"), event("paste")], "snapshots": [snapshot()]},
    )
    attempt = _submit(browser_world, attempt)
    shot = BrowserSnapshot.objects.get(attempt=attempt)
    paste = BrowserEvent.objects.get(attempt=attempt, kind="paste")
    client.force_login(browser_world.staff)
    page = client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    assert 'id="browser-review"' in page
    assert 'data-flag="clipboard"' in page
    assert f'href="#ev-{paste.pk}"' in page and f'id="ev-{paste.pk}"' in page
    assert f'src="/staff/browser/snapshots/{shot.pk}"' in page
    assert f'id="snap-{shot.pk}"' in page and f'href="#row-snap-{shot.pk}"' in page
    assert "page hidden" in page
    view = BrowserDataView.objects.get(attempt=attempt)
    assert (view.viewer_id, view.what) == (browser_world.staff.pk, "timeline")
    # The verdict goes through the review workflow, with a reason.
    response = client.post(
        f"/staff/attempts/{attempt.pk}/review",
        {"verdict": "rejected", "reason": "pasted during the exam"},
    )
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.REJECTED
    assert Review.objects.get(attempt=attempt).reason == "pasted during the exam"


def test_a_running_attempts_page_shows_its_flags_so_far(client, browser_world):
    _exam_settings(browser_world)
    attempt = running(browser_world, client)
    post_batch(client, attempt, {"events": [event("cut")]})
    client.force_login(browser_world.staff)
    page = client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    assert 'data-flag="clipboard"' in page and "still running" in page
    assert not Irregularity.objects.exists()


def test_an_attempt_of_another_provider_has_no_browser_section(client, world):
    attempt = actions.attempt_create_for_learner(
        exam_id=world.exam.pk, user_id=world.learner.pk, start=True
    )
    client.force_login(world.staff)
    page = client.get(f"/staff/attempts/{attempt.pk}").content.decode()
    assert 'id="browser-review"' not in page
    assert not BrowserDataView.objects.exists()
