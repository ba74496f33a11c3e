"""Structured logs: one JSON object a line on stdout (or readable lines with
``PROCTORING_LOG_FORMAT=console``), for the service's own loggers and Django's alike.

``settings.LOGGING`` names :func:`formatter`; the :class:`RequestLogMiddleware` gives each
request an id (the caller's ``X-Request-ID`` when it is sane, else a new one), returns it in the
response header, binds it to every line logged while the request runs, and logs one line per
request. An unhandled error is logged by Django's ``django.request`` logger with its traceback,
and so carries the request id too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

REQUEST_ID_HEADER = "X-Request-ID"
# What an incoming request id may be: a UUID, a trace id, a proxy's id; anything else is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:+=/-]{1,128}$")
# The URL arguments a request line names (never a username: it is personal data).
URL_IDS = ("course_id", "exam_id", "attempt_id")
OUTPUTS = ("json", "console")

log = structlog.get_logger("proctoring.requests")


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_structlog() -> None:
    """Route structlog's loggers through the standard library's, so one handler prints all."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(output: str = "json") -> logging.Formatter:
    """The formatter of ``settings.LOGGING``: JSON lines, or readable lines for a console."""
    configure_structlog()
    if output == "console":
        renderer: Any = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        last: list[Any] = [renderer]
    else:
        last = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )


def request_id_of(request: HttpRequest) -> str:
    """The caller's request id when it is sane, else a new one."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    """The caller's id when the request already knows it: a log line never queries for it."""
    user = getattr(request, "user", None)
    if user is None or (
        isinstance(user, SimpleLazyObject) and getattr(user, "_wrapped", empty) is empty
    ):
        return None
    return user.pk if user.is_authenticated else None


def request_fields(request: HttpRequest, status: int, seconds: float) -> dict[str, Any]:
    """What the request line says: route, status, duration, caller and the objects named."""
    match = request.resolver_match
    fields: dict[str, Any] = {
        "method": request.method,
        "route": match.route if match is not None else None,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "user_id": _user_id(request),
    }
    if match is None:
        fields["path"] = request.path  # no route to name it by (a 404)
    for name in URL_IDS:
        if match is not None and name in match.kwargs:
            fields[name] = match.kwargs[name]
    return fields


class RequestLogMiddleware:
    """Request ids and the one line per request; first in ``MIDDLEWARE`` so it sees all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            fields = request_fields(request, response.status_code, time.perf_counter() - started)
            if response.status_code >= 500:
                log.warning("request", **fields)
            else:
                log.info("request", **fields)
            return response
        finally:
            structlog.contextvars.clear_contextvars()
