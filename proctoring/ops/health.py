"""Health endpoints for load balancers and orchestrators.

``/health/live``: the process answers (no database, no broker). ``/health/ready``: the service
can do its work: the database answers, every migration is applied, the broker answers (Celery
mode), and each background job ran successfully not long ago. A failing check answers 503 in
the error shape ``{detail, code, fields}``, with one entry per failed check in ``fields``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import Error, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from proctoring.core.clock import now

log = logging.getLogger(__name__)

# When this process started: a job that never ran is given that long before it counts as late.
PROCESS_STARTED: datetime = timezone.now()
BROKER_TIMEOUT_SECONDS = 2.0


class CheckFailed(Exception):
    """A readiness check that failed, with what the operator should read."""


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as exc:
        raise CheckFailed(f"The database cannot be reached: {type(exc).__name__}.") from exc


def check_migrations() -> None:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise CheckFailed(f"{len(plan)} migration(s) not applied ({names}): run migrate.")


# Every socket operation of the broker check is bounded, whatever the transport: a broker that
# accepts connections but never answers (stopped, overloaded, a black-holed address) fails the
# check within about BROKER_TIMEOUT_SECONDS instead of hanging the probe.
BROKER_TRANSPORT_TIMEOUTS = {
    "socket_timeout": BROKER_TIMEOUT_SECONDS,  # redis
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,  # redis
    "read_timeout": BROKER_TIMEOUT_SECONDS,  # amqp
    "write_timeout": BROKER_TIMEOUT_SECONDS,  # amqp
}


def check_broker() -> None:
    """One connection to the broker, no retry, each socket operation bounded."""
    from proctoring.celery import app

    try:
        with app.connection_for_write(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options=BROKER_TRANSPORT_TIMEOUTS,
        ) as conn:
            conn.ensure_connection(
                max_retries=0, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
    except Exception as exc:  # kombu raises many types: any is an unreachable broker
        raise CheckFailed(f"The Celery broker cannot be reached: {type(exc).__name__}.") from exc


def check_jobs() -> None:
    """Each job of the registry succeeded within the last few intervals (in any process); a
    job that never ran gets as long from the start of this process."""
    from proctoring.jobs import JOBS
    from proctoring.ops.models import JobHeartbeat

    intervals = settings.PROCTORING_READY_JOB_INTERVALS
    if intervals == 0:
        return
    last = dict(
        JobHeartbeat.objects.filter(job__in=[job.label for job in JOBS]).values_list(
            "job", "last_success_at"
        )
    )
    moment = now()
    late = []
    for job in JOBS:
        allowed = timedelta(seconds=job.interval() * intervals)
        since = last.get(job.label) or PROCESS_STARTED
        if moment - since > allowed:
            when = f"at {since:%Y-%m-%dT%H:%M:%SZ}" if last.get(job.label) else "never"
            late.append(f"the {job.label} job last succeeded {when} (allowed: {allowed})")
    if late:
        message = "; ".join(late)
        raise CheckFailed(f"{message[0].upper()}{message[1:]}.")


def readiness_checks() -> list[tuple[str, Callable[[], None]]]:
    """The checks of this configuration, in order; after a failed database, none runs."""
    checks: list[tuple[str, Callable[[], None]]] = [
        ("database", check_database),
        ("migrations", check_migrations),
    ]
    if settings.PROCTORING_JOBS == "celery":
        checks.append(("broker", check_broker))
    checks.append(("jobs", check_jobs))
    return checks


def readiness() -> dict[str, str | None]:
    """Each check's name and its failure (None when it passed)."""
    results: dict[str, str | None] = {}
    for name, check in readiness_checks():
        if results.get("database"):
            break
        try:
            check()
            results[name] = None
        except CheckFailed as exc:
            results[name] = str(exc)
        except Error as exc:  # the database went away between two checks
            results[name] = f"The database failed: {type(exc).__name__}."
    return results


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


def live(request: HttpRequest) -> JsonResponse:
    """The process answers; nothing else is checked."""
    return _no_store(JsonResponse({"status": "ok"}))


def ready(request: HttpRequest) -> JsonResponse:
    results = readiness()
    failed = {name: [message] for name, message in results.items() if message}
    if failed:
        log.warning("Not ready: %s", "; ".join(m[0] for m in failed.values()))
        body = {
            "detail": f"Not ready: {', '.join(failed)} failed.",
            "code": "not_ready",
            "fields": failed,
        }
        return _no_store(JsonResponse(body, status=503))
    return _no_store(JsonResponse({"status": "ready", "checks": dict.fromkeys(results, "ok")}))
