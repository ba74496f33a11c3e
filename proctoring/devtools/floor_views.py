"""The floors of the HTTP bench: bare Django views doing the least a poll or a write needs.

``scripts/bench_wrk.py`` measures the service against them in the same run, under the same
gunicorn and the same middleware: the read floor runs one primary-key ``SELECT``; the write
floor a locked read, an ``UPDATE`` and an ``INSERT`` in one transaction (then the commit). They
are mounted only by ``bench_urls`` (``bench_settings``), never in the service's URLs.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from proctoring.attempts.models import Attempt, AttemptHistory
from proctoring.core.clock import now

_ATTEMPTS = Attempt._meta.db_table
_HISTORY = AttemptHistory._meta.db_table


def _missing(attempt_id: int) -> JsonResponse:
    return JsonResponse({"detail": f"no attempt {attempt_id}", "code": "not_found"}, status=404)


@require_GET
def floor_read(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """One primary-key ``SELECT``, answered as JSON."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, status FROM {_ATTEMPTS} WHERE id = %s", [attempt_id])
        row = cursor.fetchone()
    if row is None:
        return _missing(attempt_id)
    return JsonResponse({"id": row[0], "status": row[1]})


@csrf_exempt
@require_POST
def floor_write(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """A locked read, an ``UPDATE`` and an ``INSERT`` in one transaction, then the commit."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    moment = now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id, status FROM {_ATTEMPTS} WHERE id = %s{lock}", [attempt_id])
        row = cursor.fetchone()
        if row is None:
            return _missing(attempt_id)
        cursor.execute(f"UPDATE {_ATTEMPTS} SET modified = %s WHERE id = %s", [moment, attempt_id])
        cursor.execute(
            f"INSERT INTO {_HISTORY}"
            " (attempt_id, from_status, to_status, changed_at, cause, reason)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [attempt_id, row[1], row[1], moment, "bench:floor", ""],
        )
    return JsonResponse({"id": row[0], "status": row[1]})
