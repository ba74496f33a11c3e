"""Django's own answers, outside DRF's views, in the API's error shape ``{"detail", "code"}``.

Django answers by itself before a view runs or when none does: a ``Host`` header that is not
in ``ALLOWED_HOSTS``, a request body or form larger than its limits, an unknown URL, a failed
CSRF check, a crash. The views here are its ``handler400/403/404/500`` and
``CSRF_FAILURE_VIEW``, and ``ErrorShapeMiddleware`` turns any other error page into the shape
and a database outage into a 503. The admin (``/admin/``) keeps Django's HTML pages, except
for a bad host and a database outage, which are the service's answers, not the admin's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from rest_framework.response import Response

from proctoring.rest.exception_handler import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable_logged,
    error_body,
)

ADMIN_PREFIX = "/admin/"
# The code of an error page that Django or a view made without the shape, by its status.
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    500: "server_error",
    503: "service_unavailable",
}
# The headers of such a page that the shaped answer keeps.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _for_the_admin(request: HttpRequest) -> bool:
    return request.path.startswith(ADMIN_PREFIX)


def error_response(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status)


def database_unavailable(request: HttpRequest, exc: BaseException) -> JsonResponse:
    """The 503 of a database outage, with ``Retry-After``; the outage is logged."""
    response = JsonResponse(database_unavailable_logged(exc, request.path), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a suspicious request (a bad host, a body or form too large)."""
    if isinstance(exception, DisallowedHost):
        return error_response(
            "The Host header names no host this service answers to.", "bad_host", 400
        )
    if _for_the_admin(request):
        return defaults.bad_request(request, exception or Exception())
    if isinstance(exception, RequestDataTooBig):
        return error_response("The request body is too large.", "request_too_large", 413)
    return error_response("The request is malformed.", "bad_request", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``."""
    if _for_the_admin(request):
        return defaults.permission_denied(request, exception or Exception())
    return error_response(
        "You do not have permission to perform this action.", "permission_denied", 403
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: an unknown URL or action."""
    if _for_the_admin(request):
        return defaults.page_not_found(request, exception or Exception())
    return error_response("Not found.", "not_found", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a crash, or a 503 when the crash is a database outage (raised outside a
    view, where ``ErrorShapeMiddleware`` cannot see it)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return database_unavailable(request, exc)
    if _for_the_admin(request):
        return defaults.server_error(request)
    return error_response("Server error.", "server_error", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form post (the sign-in page) whose CSRF check failed."""
    if _for_the_admin(request):
        return csrf.csrf_failure(request, reason)
    return error_response(f"CSRF verification failed: {reason}", "csrf_failed", 403)


def _phrase(status: int) -> str:
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "Error."


def _needs_shape(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code >= 400
        and not _for_the_admin(request)
        and not isinstance(response, Response)  # DRF's: shaped, or its browsable HTML page
        and not getattr(response, "is_web_page", False)  # the web UI's own error pages
        and not response.streaming
        and not response.get("Content-Type", "").startswith("application/json")
    )


class ErrorShapeMiddleware:
    """Every error answer outside the admin in the shape; a database outage a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not _needs_shape(request, response):
            return response
        status = response.status_code
        shaped = error_response(_phrase(status), CODES.get(status, "error"), status)
        for header in KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        # Django logs an error answer once, and marks it: the reshaped answer keeps the mark.
        shaped._has_been_logged = getattr(response, "_has_been_logged", False)  # type: ignore[attr-defined]
        return shaped

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None
