"""The transactional outbox: events written with their change, delivered after the commit to
the service's own consumers (credit, email) and to webhooks, in order, once, with retries,
backoff, dead letters and leases."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from proctoring import api
from proctoring.core.clock import now
from proctoring.core.events import DomainEvent, events_record
from proctoring.credit.models import CreditRequirementStatus
from proctoring.exceptions import InvalidWebhookTarget
from proctoring.outbox.delivery import backoff_seconds, outbox_deliver
from proctoring.outbox.models import Delivery, Event, Subscription
from proctoring.outbox.services import (
    outbox_backlog,
    subscription_create,
    subscription_replay,
    subscription_rotate_secret,
    subscription_set_paused,
)
from proctoring.runtime import set_runtime_service
from tests.outbox.subscriber import Subscriber

pytestmark = pytest.mark.django_db


class FailingCredit:
    def __init__(self):
        self.fail = True
        self.calls = []

    def set_credit_requirement_status(self, **kwargs):
        if self.fail:
            raise RuntimeError("credit service down")
        self.calls.append(kwargs)

    def remove_credit_requirement_status(self, **kwargs):
        self.calls.append(("remove", kwargs))

    def get_credit_state(self, *args, **kwargs):
        return {"course_name": "Course"}


@pytest.fixture
def allow_loopback(settings):
    settings.PROCTORING_WEBHOOKS_ALLOW_PRIVATE = True
    return settings


def _started(exam, learner, proctored=False):
    api.create_exam_attempt(exam.pk, learner.pk, taking_as_proctored=proctored)
    api.update_attempt_status(exam.pk, learner.pk, "started")


def test_a_status_change_writes_its_event_in_its_transaction(exam, learner):
    """One event per change, numbered per attempt; a rolled-back change leaves none."""
    _started(exam, learner)
    with pytest.raises(RuntimeError), transaction.atomic():
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
        assert Event.objects.filter(payload__to_status="submitted").count() == 1
        raise RuntimeError("the caller fails")
    assert not Event.objects.filter(payload__to_status="submitted").exists()
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    events = list(Event.objects.filter(type="attempt.status_changed").order_by("id"))
    assert [(e.payload["from_status"], e.payload["to_status"]) for e in events] == [
        ("created", "started"),
        ("started", "submitted"),
    ]
    assert [e.sequence for e in events] == [1, 2]
    assert events[1].payload["credit_requirement_status"] == "submitted"
    assert events[1].attempt_id == events[0].attempt_id


def test_the_credit_and_the_email_leave_once_after_the_commit(exam, learner):
    _started(exam, learner, proctored=True)
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    assert not CreditRequirementStatus.objects.exists()
    assert mail.outbox == []
    outbox_deliver()
    assert CreditRequirementStatus.objects.get().status == "submitted"
    assert len(mail.outbox) == 1
    outbox_deliver()  # nothing twice
    assert len(mail.outbox) == 1


def test_a_failing_consumer_is_retried_with_backoff_then_succeeds(exam, learner, clock):
    credit = FailingCredit()
    set_runtime_service("credit", credit)
    _started(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    outbox_deliver()
    subscription = Subscription.objects.get(name="credit")
    assert subscription.failures == 1
    assert subscription.next_attempt_at > clock.moment
    failed = Delivery.objects.get(subscription=subscription)
    assert failed.outcome == "failed" and "credit service down" in failed.error
    credit.fail = False
    outbox_deliver()  # not due yet
    assert credit.calls == []
    clock.advance(seconds=backoff_seconds(1) * 2 + 1)
    outbox_deliver()
    assert [call["status"] for call in credit.calls] == ["submitted"]
    assert Subscription.objects.get(name="credit").failures == 0


def test_an_event_failing_past_the_maximum_age_is_a_dead_letter(exam, learner, clock, settings):
    settings.PROCTORING_OUTBOX_MAX_AGE_SECONDS = 60
    set_runtime_service("credit", FailingCredit())
    _started(exam, learner)
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    outbox_deliver()
    clock.advance(seconds=120)
    outbox_deliver()
    dead = Delivery.objects.get(outcome="dead")
    assert dead.event.payload["to_status"] == "submitted"
    subscription = Subscription.objects.get(name="credit")
    assert subscription.cursor >= dead.event_id
    assert subscription.failures == 0


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap(settings):
    settings.PROCTORING_OUTBOX_BACKOFF_BASE_SECONDS = 2
    settings.PROCTORING_OUTBOX_BACKOFF_MAX_SECONDS = 60
    for failures, ceiling in [(1, 2), (2, 4), (3, 8), (5, 32), (10, 60)]:
        values = {backoff_seconds(failures) for _ in range(50)}
        assert all(ceiling / 2 <= value <= ceiling for value in values)
        assert len(values) > 1  # jittered


def test_a_gap_in_event_ids_waits_for_its_transaction_then_is_skipped(clock, settings):
    """An id missing after the cursor may be a transaction still running: the delivery stops
    there until the event after the gap is GAP_SECONDS old."""
    settings.PROCTORING_OUTBOX_GAP_SECONDS = 30
    outbox_deliver()  # the consumers exist
    Subscription.objects.filter(kind="internal").update(cursor=100)
    Event.objects.create(id=101, type="exam.changed", occurred_at=clock.moment, course_id="c")
    Event.objects.create(id=103, type="exam.changed", occurred_at=clock.moment, course_id="c")
    outbox_deliver()
    assert set(Subscription.objects.values_list("cursor", flat=True)) == {101}
    clock.advance(seconds=31)
    outbox_deliver()
    assert set(Subscription.objects.values_list("cursor", flat=True)) == {103}


def test_a_leased_subscription_is_left_to_the_worker_holding_it(exam, learner, clock):
    """Two workers never deliver to one subscription at once."""
    _started(exam, learner)
    outbox_deliver()
    api.update_attempt_status(exam.pk, learner.pk, "submitted")
    Subscription.objects.filter(name="credit").update(
        lease_until=clock.moment + timedelta(seconds=60)
    )
    outbox_deliver()
    assert not CreditRequirementStatus.objects.exists()
    clock.advance(seconds=61)
    outbox_deliver()
    assert CreditRequirementStatus.objects.get().status == "submitted"


def test_a_webhook_receives_every_event_signed_in_order_after_an_outage(
    exam, learner, allow_loopback, clock
):
    with Subscriber() as receiver:
        new = subscription_create(url=receiver.url, name="platform")
        receiver.secrets = [new.secret]
        _started(exam, learner)
        receiver.fail_with = 503
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
        outbox_deliver()
        assert receiver.received == []
        assert Subscription.objects.get(pk=new.subscription.pk).failures == 1
        receiver.fail_with = None
        clock.advance(hours=1)
        api.update_attempt_status(exam.pk, learner.pk, "verified")
        outbox_deliver()
        assert receiver.refused == []
        messages = receiver.received
        assert [m["data"]["to_status"] for m in messages] == ["started", "submitted", "verified"]
        assert [m["sequence"] for m in messages] == [1, 2, 3]
        assert len(set(receiver.ids())) == 3
        outbox_deliver()
        assert len(receiver.received) == 3


def test_a_subscription_gets_only_the_event_types_it_asked_for(exam, learner, allow_loopback):
    with Subscriber() as receiver:
        new = subscription_create(url=receiver.url, event_types=["exam.changed"])
        receiver.secrets = [new.secret]
        _started(exam, learner)
        api.update_exam(exam.pk, time_limit_mins=90)
        outbox_deliver()
        assert [m["type"] for m in receiver.received] == ["exam.changed"]
        assert receiver.received[0]["data"]["time_limit_mins"] == 90


def test_a_rotated_secret_signs_with_both_during_the_overlap(exam, learner, allow_loopback):
    with Subscriber() as receiver:
        new = subscription_create(url=receiver.url)
        receiver.secrets = [new.secret]  # a receiver that knows the old secret only
        rotated = subscription_rotate_secret(subscription=new.subscription)
        assert rotated.secret != new.secret
        _started(exam, learner)
        outbox_deliver()
        assert len(receiver.received) == 1
    with Subscriber() as receiver:
        receiver.secrets = [rotated.secret]  # and one that knows the new one only
        Subscription.objects.filter(pk=new.subscription.pk).update(url=receiver.url)
        api.update_attempt_status(exam.pk, learner.pk, "submitted")
        outbox_deliver()
        assert len(receiver.received) == 1


def test_a_forged_signature_is_refused_by_the_receiver(exam, learner, allow_loopback):
    with Subscriber() as receiver:
        subscription_create(url=receiver.url)
        receiver.secrets = [subscription_create(url=receiver.url).secret[:-4] + "AAA="]
        _started(exam, learner)
        outbox_deliver()
        assert receiver.received == []
        assert receiver.refused


def test_paused_subscriptions_wait_and_replay_sends_again(exam, learner, allow_loopback, clock):
    with Subscriber() as receiver:
        new = subscription_create(url=receiver.url)
        receiver.secrets = [new.secret]
        subscription_set_paused(subscription=new.subscription, paused=True)
        _started(exam, learner)
        outbox_deliver()
        assert receiver.received == []
        subscription_set_paused(subscription=new.subscription, paused=False)
        outbox_deliver()
        assert len(receiver.received) == 1
        assert subscription_replay(subscription=new.subscription, since=clock.moment) == 1
        outbox_deliver()
        assert receiver.ids()[0] == receiver.ids()[1]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.1/hooks",
        "http://[::1]/hooks",
        "http://169.254.169.254/latest",
        "ftp://example.org/hooks",
        "not a url",
    ],
)
def test_private_loopback_and_odd_targets_are_refused(url):
    with pytest.raises(InvalidWebhookTarget):
        subscription_create(url=url)


def test_the_backlog_counts_what_the_slowest_subscription_has_left(exam, learner):
    outbox_deliver()
    _started(exam, learner)
    backlog = outbox_backlog()
    assert backlog.undelivered == 1  # the start (a creation is no event)
    assert backlog.oldest_undelivered_at is not None
    outbox_deliver()
    assert outbox_backlog().undelivered == 0


def test_a_burst_of_ten_thousand_events_reaches_a_webhook_each_once_in_order(
    allow_loopback, settings
):
    """10,000 events written in one transaction reach a real receiver over HTTP, each once
    (by event id), in the order they were written."""
    settings.PROCTORING_OUTBOX_BATCH_SIZE = 1000
    with Subscriber() as receiver:
        new = subscription_create(url=receiver.url, event_types=["exam.changed"])
        receiver.secrets = [new.secret]
        moment = now()
        with transaction.atomic():
            events_record(
                [
                    DomainEvent(
                        type="exam.changed", occurred_at=moment, course_id="c", payload={"n": n}
                    )
                    for n in range(10_000)
                ]
            )
        while outbox_deliver():
            pass
        ids = receiver.ids()
        assert len(ids) == len(set(ids)) == 10_000
        assert [m["data"]["n"] for m in receiver.received] == list(range(10_000))
        assert receiver.refused == []
