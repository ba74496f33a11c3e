"""Every error of the API in one JSON shape: ``{"detail", "code", "fields"?}``.

The domain's exceptions carry their HTTP status and code (``proctoring.exceptions``); DRF's
and Django's are mapped here, in one place. A database that cannot be reached (down,
restarting, a connection killed) is a 503 ``database_unavailable`` with ``Retry-After``, not a
500. Django's own answers outside DRF's views are in ``proctoring.rest.django_errors``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError, connections
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from proctoring.exceptions import ProctoringError, ProviderUnavailable


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


logger = logging.getLogger("proctoring.rest")

# What a database that cannot answer raises: refused or lost connections, a server shutting
# down, a connection killed by an administrator (Django wraps the driver's errors in these).
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
PROVIDER_RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE = "The database is unavailable; try again in a few seconds."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {"field" or "items.0.field": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            if value:
                flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or "non_field_errors": messages}


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def error_body(
    detail: str, code: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    return body


def database_unavailable_logged(exc: BaseException, path: str) -> dict[str, Any]:
    """Log a database outage with its traceback, drop the connections it broke (the next
    statement connects again), and give the body of its 503."""
    logger.error("Database unavailable while answering %s: %s", path, exc, exc_info=exc)
    for database in connections.all(initialized_only=True):
        database.close_if_unusable_or_obsolete()
    return error_body(DATABASE_UNAVAILABLE, "database_unavailable")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DATABASE_ERRORS):
        request = context.get("request")
        body = database_unavailable_logged(exc, request.path if request is not None else "?")
        set_rollback()
        return Response(body, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, ProviderUnavailable):
        headers = {"Retry-After": str(PROVIDER_RETRY_AFTER_SECONDS)}
        return Response(error_body(exc.message, exc.code), status=exc.http_status, headers=headers)
    if isinstance(exc, ProctoringError):
        return Response(error_body(exc.message, exc.code), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(f"The request is malformed: {exc}", code="bad_request")
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler answers (in JSON under /api/)
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("Invalid input.", "invalid", _flatten(exc.detail))
    elif isinstance(exc.detail, dict | list):
        response.data = error_body("Invalid input.", _code(exc), _flatten(exc.detail))
    else:
        response.data = error_body(str(exc.detail), _code(exc))
    return response
