"""/metrics: Prometheus's text format, protected (a bearer token or allowed addresses; open
only in DEBUG), with request latency per route, attempts by status, transitions, the expiry
lag and the jobs' runs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from prometheus_client.parser import text_string_to_metric_families

from proctoring.attempts.models import Attempt
from proctoring.attempts.services import attempt_update_status
from proctoring.attempts.time_changes import attempt_pause
from proctoring.jobs import Job, JobRunner
from proctoring.ops.jobruns import job_heartbeat_write
from tests.attempts.conftest import T0
from tests.factories import UserFactory

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def open_metrics(settings):
    settings.PROCTORING_METRICS_TOKEN = TOKEN
    settings.PROCTORING_METRICS_ALLOWED_IPS = []


def scrape(client) -> dict[tuple[str, tuple], float]:
    """The scrape as {(sample name, sorted labels): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_closed_without_a_token_or_addresses_when_debug_is_off(client, settings):
    settings.DEBUG = False
    settings.PROCTORING_METRICS_TOKEN = ""
    settings.PROCTORING_METRICS_ALLOWED_IPS = []
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "PROCTORING_METRICS_TOKEN" in response.json()["detail"]


@pytest.mark.django_db
def test_metrics_are_open_in_debug_when_nothing_protects_them(client, settings):
    settings.DEBUG = True
    settings.PROCTORING_METRICS_TOKEN = ""
    settings.PROCTORING_METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_a_missing_or_wrong_token_is_401(client, settings, header):
    settings.DEBUG = True  # a token set closes the metrics even in DEBUG
    settings.PROCTORING_METRICS_TOKEN = TOKEN
    settings.PROCTORING_METRICS_ALLOWED_IPS = []
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert set(response.json()) == {"detail", "code"}


@pytest.mark.django_db
def test_an_allowed_network_scrapes_without_a_token(client, settings):
    settings.PROCTORING_METRICS_TOKEN = ""
    settings.PROCTORING_METRICS_ALLOWED_IPS = ["10.0.0.0/8", "not-an-address"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 403


@pytest.mark.django_db
def test_request_latency_is_a_histogram_per_route(client, open_metrics):
    client.get("/health/live")
    client.get("/health/live")
    samples = scrape(client)
    key = (
        "django_http_requests_latency_seconds_by_view_method_count",
        (("method", "GET"), ("view", "health-live")),
    )
    assert samples[key] >= 2


@pytest.mark.django_db
def test_attempts_by_status_are_counted_in_one_query(
    client, open_metrics, exam, learner, other_learner, django_assert_max_num_queries
):
    from proctoring.attempts.services import attempt_create

    attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_create(exam_id=exam.pk, user_id=other_learner.pk)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    samples = scrape(client)
    assert samples[("proctoring_attempts", (("status", "started"),))] == 1
    assert samples[("proctoring_attempts", (("status", "created"),))] == 1
    assert samples[("proctoring_database_up", ())] == 1
    # the attempts, the transitions, the expiry lag, the jobs' last successes, the outbox's
    # subscriptions and its backlog
    with django_assert_max_num_queries(6):
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.mark.django_db
def test_transitions_are_a_counter_by_new_status_without_creations(
    client, open_metrics, exam, learner
):
    from proctoring.attempts.services import attempt_create

    attempt_create(exam_id=exam.pk, user_id=learner.pk)
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="started")
    attempt_update_status(exam_id=exam.pk, user_id=learner.pk, to_status="submitted")
    samples = scrape(client)
    assert samples[("proctoring_attempt_transitions_total", (("to_status", "started"),))] == 1
    assert samples[("proctoring_attempt_transitions_total", (("to_status", "submitted"),))] == 1
    assert ("proctoring_attempt_transitions_total", (("to_status", "created"),)) not in samples


@pytest.mark.django_db
def test_the_expiry_lag_is_now_minus_the_oldest_running_unpaused_deadline(
    client, open_metrics, exam, clock
):
    """Two running attempts, one paused with an older deadline: the lag counts the other."""
    from proctoring.attempts.services import attempt_create

    first, second = UserFactory(username="first"), UserFactory(username="second")
    for user in (first, second):
        attempt_create(exam_id=exam.pk, user_id=user.pk)
        attempt_update_status(exam_id=exam.pk, user_id=user.pk, to_status="started")
        clock.advance(minutes=5)
    paused = Attempt.objects.get(user=first)
    attempt_pause(attempt_id=paused.pk, actor_id=None, reason="network")
    running = Attempt.objects.get(user=second)
    assert scrape(client)[("proctoring_expiry_lag_seconds", ())] == 0  # none is due yet
    clock.set(running.deadline_at + timedelta(seconds=42))
    assert scrape(client)[("proctoring_expiry_lag_seconds", ())] == pytest.approx(42)


@pytest.mark.django_db(transaction=True)
def test_job_runs_and_failures_and_durations_are_counted(client, open_metrics, clock):
    def labels(outcome):
        return (("job", "metrics-test"), ("outcome", outcome))

    before = scrape(client)
    job = Job("metrics-test", "x", "x.task", "tests.ops.test_metrics.failing_job", "DEBUG")
    JobRunner(interval=1, jobs=(job,)).run_once()
    samples = scrape(client)
    assert samples[("proctoring_job_runs_total", labels("failure"))] == (
        before.get(("proctoring_job_runs_total", labels("failure")), 0) + 1
    )
    count = ("proctoring_job_duration_seconds_count", (("job", "metrics-test"),))
    assert samples[count] == before.get(count, 0) + 1


def failing_job() -> int:
    raise RuntimeError("the job failed")


@pytest.mark.django_db
def test_the_last_success_of_each_job_is_read_from_the_database(client, open_metrics, clock):
    job_heartbeat_write("expiry", seconds=0.5, error=None)
    samples = scrape(client)
    key = ("proctoring_job_last_success_timestamp_seconds", (("job", "expiry"),))
    assert samples[key] == T0.timestamp()


@pytest.mark.django_db
def test_a_database_outage_still_answers_the_metrics_with_database_up_0(client, open_metrics):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("down")

    with connection.execute_wrapper(refuse):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert re.search(r"^proctoring_database_up 0\.0$", response.content.decode(), re.M)


def test_the_outbox_backlog_and_the_age_of_its_oldest_event_are_gauges(
    client, open_metrics, exam, learner, clock
):
    from proctoring import api
    from proctoring.outbox.delivery import outbox_deliver

    outbox_deliver()
    api.create_exam_attempt(exam.pk, learner.pk)
    api.update_attempt_status(exam.pk, learner.pk, "started")
    clock.advance(seconds=30)
    metrics = scrape(client)
    assert metrics[("proctoring_outbox_undelivered_events", ())] == 1
    assert metrics[("proctoring_outbox_oldest_undelivered_age_seconds", ())] == pytest.approx(30)
    outbox_deliver()
    metrics = scrape(client)
    assert metrics[("proctoring_outbox_undelivered_events", ())] == 0
    assert metrics[("proctoring_outbox_oldest_undelivered_age_seconds", ())] == 0
