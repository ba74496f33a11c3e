"""The web UI's error pages: a domain error, a refusal or a missing object is a clear HTML
page with its status and message, never a 500."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from proctoring.exceptions import ProctoringError
from proctoring.rest.django_errors import csrf_failure as rest_csrf_failure
from proctoring.web.csp import is_web_request

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def error_page(
    request: HttpRequest, *, status: int, message: str, code: str = "", title: str = ""
) -> HttpResponse:
    """A page that says what went wrong and where to go next."""
    context = {"status": status, "message": message, "code": code, "title": title or _("Error")}
    template = "web/_error.html" if getattr(request, "htmx", False) else "web/error.html"
    return render(request, template, context, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form of the web UI (an expired page, a lost cookie) gets a page
    that says what to do; anything else the API's answer (proctoring.rest.django_errors)."""
    if not is_web_request(request):
        return rest_csrf_failure(request, reason)
    message = _("This form has expired or was sent from elsewhere. Reload the page and try again.")
    return error_page(request, status=403, message=message, code="csrf_failed")


def web_errors(view: View) -> View:
    """Turn the errors a view lets through into error pages of their status."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ProctoringError as exc:
            return error_page(request, status=exc.http_status, message=exc.message, code=exc.code)
        except PermissionDenied as exc:
            message = str(exc) or _("You do not have permission to see this page.")
            return error_page(request, status=403, message=message, code="permission_denied")
        except Http404 as exc:
            message = str(exc) or _("There is no such page.")
            return error_page(request, status=404, message=message, code="not_found")

    return cast(View, wrapped)
