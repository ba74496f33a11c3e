"""Metrics at ``/metrics`` in Prometheus's text format.

Three sources: django-prometheus's request metrics (latency histograms per route, by its
middleware), this module's job metrics (observed where the jobs run), and figures read from the
database at scrape time (attempts by status, transitions, the expiry lag, the jobs' last
successes), so they are the same whichever process answers. Under gunicorn's several processes
``PROMETHEUS_MULTIPROC_DIR`` makes prometheus_client share the in-process metrics through files.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import Error
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from proctoring.core.clock import now

log = logging.getLogger(__name__)

JOB_DURATION = Histogram(
    "proctoring_job_duration_seconds",
    "How long a run of a background job took.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
JOB_RUNS = Counter(
    "proctoring_job_runs", "Runs of a background job, by outcome.", ["job", "outcome"]
)


class DatabaseCollector(Collector):
    """Figures read from the database when scraped: four small queries."""

    def collect(self) -> Iterator[Metric]:
        try:
            families = list(self._families())
        except Error:
            log.warning("The database could not be read for the metrics", exc_info=True)
            families = []
        up = GaugeMetricFamily(
            "proctoring_database_up", "1 when the scrape could read the database, else 0."
        )
        up.add_metric([], 1 if families else 0)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        from proctoring.attempts.models import Attempt, AttemptHistory
        from proctoring.attempts.statuses import RUNNING_STATUSES
        from proctoring.ops.models import JobHeartbeat

        by_status = GaugeMetricFamily(
            "proctoring_attempts", "Attempts by status (current and archived).", labels=["status"]
        )
        rows = Attempt.objects.order_by().values_list("status").annotate(n=Count("id"))
        for status, count in rows:
            by_status.add_metric([status], count)
        yield by_status
        transitions = CounterMetricFamily(
            "proctoring_attempt_transitions",
            "Status changes of attempts (history rows but creations), by new status.",
            labels=["to_status"],
        )
        changes = (
            AttemptHistory.objects.exclude(from_status="")
            .order_by()
            .values_list("to_status")
            .annotate(n=Count("id"))
        )
        for status, count in changes:
            transitions.add_metric([status], count)
        yield transitions
        oldest = Attempt.objects.filter(
            status__in=sorted(str(s) for s in RUNNING_STATUSES),
            paused_at__isnull=True,
            archived_at__isnull=True,
        ).aggregate(oldest=Min("deadline_at"))["oldest"]
        lag = max(0.0, (now() - oldest).total_seconds()) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "proctoring_expiry_lag_seconds",
            "Now minus the oldest deadline of a running, unpaused, current attempt (0: none due).",
            value=lag,
        )
        last = GaugeMetricFamily(
            "proctoring_job_last_success_timestamp_seconds",
            "When each background job last ran successfully, in any process (Unix time).",
            labels=["job"],
        )
        for job, moment in JobHeartbeat.objects.filter(last_success_at__isnull=False).values_list(
            "job", "last_success_at"
        ):
            assert moment is not None
            last.add_metric([job], moment.timestamp())
        yield last
        yield from _outbox_families()


def _outbox_families() -> Iterator[Metric]:
    """The outbox's backlog (docs/events.md): what the slowest subscription has left."""
    from proctoring.outbox.services import outbox_backlog

    backlog = outbox_backlog()
    yield GaugeMetricFamily(
        "proctoring_outbox_undelivered_events",
        "Events the slowest active subscription has not received yet.",
        value=backlog.undelivered,
    )
    oldest = backlog.oldest_undelivered_at
    age = max(0.0, (now() - oldest).total_seconds()) if oldest is not None else 0.0
    yield GaugeMetricFamily(
        "proctoring_outbox_oldest_undelivered_age_seconds",
        "How long the oldest undelivered event has waited (0: none).",
        value=age,
    )


class _DefaultRegistry(Collector):
    """This process's registry (django-prometheus's and the job metrics) inside another one."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def metrics_registry() -> CollectorRegistry:
    """What a scrape shows: every process's metrics in multiprocess mode, else this one's, and
    the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_DefaultRegistry())
    registry.register(DatabaseCollector())
    return registry


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.PROCTORING_METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_given(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def metrics_refusal(request: HttpRequest) -> JsonResponse | None:
    """None when the caller may scrape; else the 401 or 403 to answer."""
    token = settings.PROCTORING_METRICS_TOKEN
    if token and hmac.compare_digest(_token_given(request).encode(), token.encode()):
        return None
    if _address_allowed(request.META.get("REMOTE_ADDR", "")):
        return None
    if not token and not settings.PROCTORING_METRICS_ALLOWED_IPS and settings.DEBUG:
        return None
    if token:
        response = JsonResponse(
            {"detail": "A valid metrics bearer token is required.", "code": "not_authenticated"},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return JsonResponse(
        {
            "detail": "Metrics are closed: set PROCTORING_METRICS_TOKEN or "
            "PROCTORING_METRICS_ALLOWED_IPS.",
            "code": "permission_denied",
        },
        status=403,
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    body = generate_latest(metrics_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
