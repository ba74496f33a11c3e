"""The exam page's batches: kept once each, within their limits, from the learner's own
running attempt only; heartbeat gaps recorded; snapshots through the storage API."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client

from proctoring.attempts import actions
from proctoring.browser.flags import HEARTBEAT_GAP
from proctoring.browser.models import BrowserEvent, BrowserSnapshot
from proctoring.browser.services import snapshot_storage
from proctoring.core.clock import now
from tests.browser.conftest import JPEG, created, event, post_batch, running, session_of, snapshot

pytestmark = pytest.mark.django_db
BAD = "batch_invalid"


def _kinds(attempt):
    return list(
        BrowserEvent.objects.filter(attempt=attempt).order_by("id").values_list("kind", flat=True)
    )


def test_a_batch_keeps_its_events_and_snapshots(client, browser_world, snapshot_folder):
    attempt = running(browser_world, client)
    body = {"events": [event("started"), event("paste")], "snapshots": [snapshot()]}
    response = post_batch(client, attempt, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"events": 2, "snapshots_saved": 1, "gap_seconds": None}
    assert _kinds(attempt) == ["started", "paste"]
    (shot,) = BrowserSnapshot.objects.filter(attempt=attempt)
    assert shot.size == len(JPEG) and shot.content_type == "image/jpeg"
    assert snapshot_storage().open(shot.path).read() == JPEG
    assert (snapshot_folder / shot.path).exists()
    assert session_of(attempt).last_seen_at is not None


def test_a_retried_batch_adds_nothing(client, browser_world):
    attempt = running(browser_world, client)
    body = {"events": [event("copy"), event("cut")], "snapshots": [snapshot()]}
    assert post_batch(client, attempt, body).status_code == 200
    again = post_batch(client, attempt, body)
    assert again.status_code == 200
    assert again.json()["snapshots_saved"] == 0
    assert _kinds(attempt) == ["copy", "cut"]
    assert BrowserSnapshot.objects.filter(attempt=attempt).count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "batch_invalid"),
        ([1, 2], 400, "batch_invalid"),
        ({"events": "x"}, 400, "batch_invalid"),
        ({"events": [{"id": "a", "type": "teleport", "at": 1}]}, 400, "batch_invalid"),
        ({"events": [{"id": "server-gap-1", "type": "copy", "at": 1}]}, 400, "batch_invalid"),
        ({"events": [{"id": "a", "type": HEARTBEAT_GAP, "at": 1}]}, 400, "batch_invalid"),
        ({"events": [{"id": "a b", "type": "copy", "at": 1}]}, 400, "batch_invalid"),
        ({"events": [{"id": "a", "type": "copy", "at": "noon"}]}, 400, "batch_invalid"),
        ({"events": [{"id": "a", "type": "copy", "at": 1, "data": {"x": [1]}}]}, 400, BAD),
        ({"events": [event("copy") | {"id": "d"}, event("cut") | {"id": "d"}]}, 400, BAD),
        ({"snapshots": [{"id": "s", "at": 1, "image": "%%%"}]}, 400, "batch_invalid"),
        ({"snapshots": [{"id": "s", "at": 1, "image": "R0lGODlh"}]}, 400, "batch_invalid"),
        ({"snapshots": [{"id": "s", "at": 1, "kind": "mic", "image": ""}]}, 400, "batch_invalid"),
    ],
)
def test_a_malformed_batch_is_refused_and_keeps_nothing(client, browser_world, body, status, code):
    attempt = running(browser_world, client)
    response = post_batch(client, attempt, body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not BrowserEvent.objects.filter(attempt=attempt).exists()
    assert session_of(attempt).window_batches == 0


def test_too_many_events_or_snapshots_or_too_big_are_refused(client, browser_world, settings):
    settings.PROCTORING_BROWSER_MAX_EVENTS_PER_BATCH = 3
    settings.PROCTORING_BROWSER_MAX_SNAPSHOTS_PER_BATCH = 1
    settings.PROCTORING_BROWSER_MAX_SNAPSHOT_BYTES = 1024
    settings.PROCTORING_BROWSER_MAX_BATCH_BYTES = 4096
    attempt = running(browser_world, client)
    too_many = post_batch(client, attempt, {"events": [event("copy") for _ in range(4)]})
    assert too_many.status_code == 413
    two_shots = post_batch(client, attempt, {"snapshots": [snapshot(), snapshot()]})
    assert two_shots.status_code == 413
    big_image = post_batch(client, attempt, {"snapshots": [snapshot(JPEG + b"\x00" * 2000)]})
    assert big_image.status_code == 413
    big_body = post_batch(client, attempt, {"events": [event("copy", note="x" * 5000)]})
    assert big_body.status_code == 413
    assert big_body.json()["code"] == "batch_too_large"
    assert not BrowserEvent.objects.filter(attempt=attempt).exists()
    assert not BrowserSnapshot.objects.filter(attempt=attempt).exists()


def test_the_batches_of_an_attempt_are_rate_limited(client, browser_world, settings):
    settings.PROCTORING_BROWSER_BATCHES_PER_MINUTE = 2
    attempt = running(browser_world, client)
    assert post_batch(client, attempt, {"events": [event()]}).status_code == 200
    assert post_batch(client, attempt, {"events": [event()]}).status_code == 200
    refused = post_batch(client, attempt, {"events": [event("paste")]})
    assert refused.status_code == 429
    assert _kinds(attempt) == ["heartbeat", "heartbeat"]
    later = now() + timedelta(seconds=61)
    with mock.patch("proctoring.browser.services.now", return_value=later):
        assert post_batch(client, attempt, {"events": [event("paste")]}).status_code == 200


def test_another_learners_or_an_unknown_attempt_is_not_found(client, browser_world):
    attempt = running(browser_world, client)
    client.force_login(browser_world.other_learner)
    assert post_batch(client, attempt, {"events": [event("copy")]}).status_code == 404
    assert post_batch(client, attempt, {"events": []}).json()["code"] == "attempt_not_found"
    client.force_login(browser_world.learner)
    assert post_batch(client, attempt, {"events": []}).status_code == 200
    response = client.post(
        "/attempts/999999/browser-events", data="{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert not BrowserEvent.objects.filter(kind="copy").exists()


def test_a_signed_out_or_forged_request_is_refused(client, browser_world):
    attempt = running(browser_world, client)
    client.logout()
    assert post_batch(client, attempt, {"events": [event("copy")]}).status_code == 403
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(browser_world.learner)
    assert post_batch(forged, attempt, {"events": [event("copy")]}).status_code == 403
    assert not BrowserEvent.objects.filter(attempt=attempt).exists()


def test_the_csrf_header_of_the_page_is_accepted(client, browser_world):
    attempt = running(browser_world, client)
    page_client = Client(enforce_csrf_checks=True)
    page_client.force_login(browser_world.learner)
    page_client.get(f"/exams/{browser_world.exam.pk}")
    token = page_client.cookies["csrftoken"].value
    response = post_batch(page_client, attempt, {"events": [event("copy")]}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_before_the_start_409_and_after_the_end_410(client, browser_world):
    attempt = created(browser_world)
    client.force_login(browser_world.learner)
    early = post_batch(client, attempt, {"events": [event("copy")]})
    assert early.status_code == 409
    assert early.json()["code"] == "attempt_not_running"
    client.post(
        f"/browser/setup/{attempt.external_id}",
        {"agree": "yes", "camera": "ok", "fullscreen": "ok"},
    )
    actions.attempt_act(attempt_id=attempt.pk, action="start", actor_id=browser_world.learner.pk)
    assert post_batch(client, attempt, {"events": [event("copy")]}).status_code == 200
    actions.attempt_act(attempt_id=attempt.pk, action="submit", actor_id=browser_world.learner.pk)
    late = post_batch(client, attempt, {"events": [event("paste")], "snapshots": [snapshot()]})
    assert late.status_code == 410
    assert late.json()["code"] == "attempt_ended"
    assert _kinds(attempt) == ["copy"]
    assert not BrowserSnapshot.objects.filter(attempt=attempt).exists()


def test_a_heartbeat_gap_longer_than_the_threshold_is_an_event(client, browser_world):
    attempt = running(browser_world, client)
    assert post_batch(client, attempt, {"events": [event()]}).json()["gap_seconds"] is None
    later = now() + timedelta(seconds=95)
    with mock.patch("proctoring.browser.services.now", return_value=later):
        response = post_batch(client, attempt, {"events": [event("network_online")]})
    assert response.json()["gap_seconds"] == 95
    gap = BrowserEvent.objects.get(attempt=attempt, kind=HEARTBEAT_GAP)
    assert gap.data["seconds"] == 95
    assert gap.client_id.startswith("server-gap-")


def test_event_times_are_kept_within_the_attempt(client, browser_world):
    attempt = running(browser_world, client)
    future = int((time.time() + 3600) * 1000)
    post_batch(client, attempt, {"events": [event("copy", at_ms=future), event("cut", at_ms=0)]})
    attempt.refresh_from_db()
    for row in BrowserEvent.objects.filter(attempt=attempt):
        assert attempt.started_at <= row.occurred_at <= now()


def test_a_failed_batch_leaves_no_snapshot_file(client, browser_world, snapshot_folder):
    attempt = running(browser_world, client)
    failing = mock.patch(
        "proctoring.browser.services.BrowserSession.save", side_effect=RuntimeError("db down")
    )
    with failing, pytest.raises(RuntimeError):
        post_batch(client, attempt, {"snapshots": [snapshot()]})
    assert not [path for path in snapshot_folder.rglob("*") if path.is_file()]
