"""Webhook subscriptions over REST: a platform subscribes, receives signed events, reads its
deliveries, retries, replays and pauses; bad input is a 4xx."""

import pytest

from proctoring import api
from proctoring.accounts.services import api_key_create
from proctoring.outbox.delivery import outbox_deliver
from proctoring.outbox.models import Event, Subscription
from tests.outbox.subscriber import Subscriber
from tests.rest.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopback(settings):
    settings.PROCTORING_WEBHOOKS_ALLOW_PRIVATE = True


def test_a_platform_subscribes_and_receives_signed_events(world, loopback):
    service = client_for(world, "service")
    with Subscriber() as receiver:
        created = service.post(
            "/api/v1/webhooks",
            {"url": receiver.url, "name": "lms", "event_types": ["attempt.status_changed"]},
            format="json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["secret"].startswith("whsec_")
        receiver.secrets = [body["secret"]]
        read = service.get(f"/api/v1/webhooks/{body['id']}").json()
        assert "secret" not in read
        assert read["event_types"] == ["attempt.status_changed"]
        api.update_attempt_status(world.exam.pk, world.learner.pk, "started")
        outbox_deliver()
        assert [m["data"]["to_status"] for m in receiver.received] == ["started"]
        deliveries = service.get(f"/api/v1/webhooks/{body['id']}/deliveries").json()
        assert deliveries["count"] == 1
        assert deliveries["results"][0]["outcome"] == "delivered"
        assert deliveries["results"][0]["status_code"] == 204


def test_a_service_account_sees_only_its_own_subscriptions(world, loopback):
    mine = client_for(world, "service").post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/a"}, format="json"
    )
    _, other_key = api_key_create(name="other-platform")
    other = client_for(world, "anonymous")
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_key}")
    assert other.get("/api/v1/webhooks").json() == []
    hidden = other.get(f"/api/v1/webhooks/{mine.json()['id']}")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "subscription_not_found"
    everyone = client_for(world, "global_staff").get("/api/v1/webhooks").json()
    assert [row["id"] for row in everyone] == [mine.json()["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "http://10.0.0.1/hooks"}, "invalid_webhook_target"),
        ({"url": "http://127.0.0.1/hooks"}, "invalid_webhook_target"),
        ({"url": "ftp://example.org/x"}, "invalid_webhook_target"),
        ({"url": "https://example.org/x", "event_types": ["nope"]}, "invalid"),
        ({"url": "https://example.org/x", "extra": 1}, "invalid"),
        ({}, "invalid"),
    ],
)
def test_bad_subscriptions_are_refused_with_a_4xx(world, body, code):
    response = client_for(world, "service").post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Subscription.objects.filter(kind="webhook").exists()


def test_pause_resume_rotate_replay_and_remove(world, loopback):
    service = client_for(world, "service")
    with Subscriber() as receiver:
        created = service.post("/api/v1/webhooks", {"url": receiver.url}, format="json").json()
        hook = f"/api/v1/webhooks/{created['id']}"
        receiver.secrets = [created["secret"]]
        assert service.post(f"{hook}/pause").json()["paused"] is True
        api.update_attempt_status(world.exam.pk, world.learner.pk, "started")
        outbox_deliver()
        assert receiver.received == []
        assert service.post(f"{hook}/resume").json()["paused"] is False
        outbox_deliver()
        assert len(receiver.received) == 1
        rotated = service.post(f"{hook}/rotate-secret").json()
        assert rotated["secret"] != created["secret"]
        assert rotated["previous_secret_until"] is not None
        replay = service.post(f"{hook}/replay", {"since": "2000-01-01T00:00:00Z"}, format="json")
        assert replay.json() == {"events": 1}
        outbox_deliver()  # signed with both secrets: the receiver knows the old one
        assert len(receiver.received) == 2
        assert service.delete(hook).status_code == 204
        assert service.get(hook).status_code == 404


def test_a_dead_letter_is_retried_by_hand(world, loopback, settings):
    settings.PROCTORING_OUTBOX_MAX_AGE_SECONDS = 1
    service = client_for(world, "service")
    with Subscriber() as receiver:
        created = service.post("/api/v1/webhooks", {"url": receiver.url}, format="json").json()
        receiver.secrets = [created["secret"]]
        receiver.fail_with = 500
        api.update_attempt_status(world.exam.pk, world.learner.pk, "started")
        Subscription.objects.filter(pk=created["id"]).update(next_attempt_at=None)
        outbox_deliver()
        Event.objects.update(occurred_at="2000-01-01T00:00:00Z")
        Subscription.objects.filter(pk=created["id"]).update(next_attempt_at=None)
        outbox_deliver()
        hook = f"/api/v1/webhooks/{created['id']}"
        dead = service.get(f"{hook}/deliveries?outcome=dead").json()["results"]
        assert len(dead) == 1
        receiver.fail_with = None
        retried = service.post(f"{hook}/deliveries/{dead[0]['id']}/retry")
        assert retried.json()["outcome"] == "delivered"
        assert len(receiver.received) == 1


def test_the_backlog_tells_what_is_left_to_deliver(world):
    backlog = client_for(world, "global_staff").get("/api/v1/events/backlog").json()
    assert backlog == {"undelivered": 0, "oldest_undelivered_at": None}
    outbox_deliver()
    api.update_attempt_status(world.exam.pk, world.learner.pk, "started")
    backlog = client_for(world, "global_staff").get("/api/v1/events/backlog").json()
    assert backlog["undelivered"] == 1
