"""`proctoring webhooks ...` and `proctoring events ...`: the outbox for operators."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from proctoring import api
from proctoring.outbox.models import Subscription
from tests.outbox.subscriber import Subscriber

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def loopback(settings):
    settings.PROCTORING_WEBHOOKS_ALLOW_PRIVATE = True


def test_an_operator_adds_a_webhook_delivers_and_reads_the_log(exam, learner, loopback):
    with Subscriber() as receiver:
        secret, told = run("webhooks", "add", receiver.url, "--name", "lms")
        receiver.secrets = [secret.strip()]
        assert "shown once" in told
        subscription = Subscription.objects.get(kind="webhook")
        listed, _ = run("webhooks", "list")
        assert listed.startswith(f"{subscription.pk}\tlms\t{receiver.url}\tall")
        api.create_exam_attempt(exam.pk, learner.pk)
        api.update_attempt_status(exam.pk, learner.pk, "started")
        assert run("events", "backlog")[0].startswith("1 undelivered")
        # the start, to the credit, email and providers consumers and to the webhook
        assert run("events", "deliver")[0] == "Delivered 4 event(s).\n"
        assert len(receiver.received) == 1
        log, _ = run("events", "deliveries", str(subscription.pk))
        assert "\tattempt.status_changed\t" in log and "\tdelivered\t204\t" in log


def test_pause_resume_rotate_replay_and_remove_by_command(exam, learner, loopback, clock):
    subscription_secret, _ = run("webhooks", "add", "http://127.0.0.1:9/hooks")
    subscription = Subscription.objects.get(kind="webhook")
    hook = str(subscription.pk)
    run("webhooks", "pause", hook)
    assert Subscription.objects.get(pk=subscription.pk).paused
    run("webhooks", "resume", hook)
    assert not Subscription.objects.get(pk=subscription.pk).paused
    rotated, _ = run("webhooks", "rotate", hook)
    assert rotated.strip() != subscription_secret.strip()
    assert run("webhooks", "replay", hook, "2000-01-01T00:00:00+00:00")[0] == (
        "0 event(s) will be delivered again.\n"
    )
    with pytest.raises(CommandError, match="time zone"):
        run("webhooks", "replay", hook, "2000-01-01T00:00:00")
    run("webhooks", "remove", hook)
    assert run("webhooks", "list")[0] == ""
    with pytest.raises(CommandError, match="no webhook subscription"):
        run("webhooks", "pause", hook)


def test_a_private_target_is_refused_by_the_command():
    with pytest.raises(CommandError, match="private or local"):
        run("webhooks", "add", "http://127.0.0.1:9/hooks")


def test_retrying_an_unknown_delivery_fails_with_a_message():
    with pytest.raises(CommandError, match="no delivery 99"):
        run("events", "retry", "99")
