"""The Content-Security-Policy of the web UI's pages: scripts, styles and connections from
this service only, no inline script or style, no framing (but the embeddable timer's).

The policy is set on the web UI's own responses (the ``web`` URL namespace); the admin and
Swagger UI keep their pages as their packages make them.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
BASE_POLICY = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
)


def policy(*, frame_ancestors: str = "'none'", worker_url: str = "") -> str:
    """The policy, with who may frame the page; with ``worker_url`` (a provider's JavaScript
    worker, which the page runs inside a Web Worker made from a ``blob:`` that imports it),
    that script's origin is allowed too."""
    directives = list(BASE_POLICY)
    if worker_url:
        origin = url_origin(worker_url)
        directives[1] = f"script-src 'self' {origin}"
        directives.append(f"worker-src 'self' blob: {origin}")
    return "; ".join((*directives, f"frame-ancestors {frame_ancestors}"))


def url_origin(url: str) -> str:
    """The origin (scheme, host, port) of an http(s) URL; a relative URL is this service's."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "'self'"
    return f"{parts.scheme}://{parts.netloc}"


def embed_frame_ancestors() -> str:
    """Who may frame the embeddable timer: this service and ``PROCTORING_EMBED_ORIGINS``."""
    return " ".join(["'self'", *settings.PROCTORING_EMBED_ORIGINS])


def is_web_request(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == "web"


class ContentSecurityPolicyMiddleware:
    """Set the policy on the web UI's responses that have none yet, and mark its HTML error
    pages so the API's error shape (proctoring.rest.django_errors) leaves them be."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_web_request(request):
            response.setdefault(HEADER, policy())
            if response.get("Content-Type", "").startswith("text/html"):
                response.is_web_page = True  # type: ignore[attr-defined]
        return response
