"""The in-exam poll's lean path: a learner reading its own attempt with its platform JWT.

Tens of thousands of pages poll their timer during an exam; each poll is the same request
with the same token. This path answers it in one SQL statement, authentication included: the
token is verified on the CPU (its claims kept by ``auth_cache`` for the cache's time, never past
its expiry), then one query reads the attempt with its exam and course, and the identity's user
as a sub-select: the user must be active and the identity must have had exactly these claims
applied. Nothing is cached about the user, so a user made inactive or changed claims show at
the next poll.

Every other case goes to the DRF view, which answers as before: a first request (the identity
is made or updated), staff reading a learner's attempt, an unknown attempt, a bad token, an
API key or a session, a browser asking for HTML. The lean path only ever answers a 200 with
the same body and headers as the DRF view's.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from proctoring.accounts.claims import InvalidClaims, platform_claims_parse
from proctoring.accounts.services import KEY_PREFIX
from proctoring.attempts.poll_read import attempt_read_for_identity, loaded_instance
from proctoring.rest.auth_cache import auth_cache, secret_key
from proctoring.rest.authentication import platform_token_decode, token_end

JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})
ALLOW = "GET, HEAD, OPTIONS"  # what DRF's view answers in ``Allow``

_renderer = JSONRenderer()


@cache
def user_model() -> Any:
    """``get_user_model()``, looked up once (the apps registry's lookup costs at every poll)."""
    return get_user_model()


def token_viewer(token: str) -> tuple[str, str, str] | None:
    """The token's issuer, subject and claims digest, when the token is valid; else None."""
    key = secret_key("jwt-viewer", token)
    viewer: tuple[str, str, str] | None = auth_cache.get(key)
    if viewer is not None:
        return viewer
    try:
        claims = platform_token_decode(token)
        parsed = platform_claims_parse(payload=claims, issuer=settings.PROCTORING_JWT_ISSUER or "")
    except (exceptions.AuthenticationFailed, InvalidClaims):
        return None  # the DRF view answers with the reason
    viewer = (parsed.issuer, parsed.subject, parsed.digest())
    auth_cache.put(key, viewer, user_id=None, until=token_end(claims))
    return viewer


def bearer_token(request: HttpRequest) -> str | None:
    header: str = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token.startswith(KEY_PREFIX):
        return None
    return token


def attempt_poll_lean(request: HttpRequest, attempt_id: int, render: Any) -> HttpResponse | None:
    """The poll's answer when the lean path can give it, else None (the DRF view answers).

    ``render`` turns the attempt into the body (the view's ``render_attempt``).
    """
    accept = request.META.get("HTTP_ACCEPT", "")
    if request.method != "GET" or request.META.get("QUERY_STRING") or accept not in JSON_ACCEPTS:
        return None  # HEAD, ?format=... (any query string), or a browser asking for HTML
    token = bearer_token(request)
    viewer = token_viewer(token) if token is not None else None
    if token is None or viewer is None:
        return None
    issuer, subject, digest = viewer
    found = attempt_read_for_identity(
        attempt_id=attempt_id, issuer=issuer, subject=subject, claims_digest=digest
    )
    attempt, viewer_id = found if found is not None else (None, None)
    if viewer_id is None:
        # No such attempt, or the identity is inactive or has other claims now: what the
        # DRF view's authentication kept of this token is stale, it verifies anew.
        auth_cache.forget(secret_key("jwt", token))
        return None
    if attempt is None or viewer_id != attempt.user_id:
        return None  # staff reading a learner's attempt, or a refusal: the DRF view decides
    return lean_answer(request, user_id=attempt.user_id, body=render(attempt), allow=ALLOW)


def caller_known(request: HttpRequest, user_id: int) -> None:
    """The request's user, for the request log, which names the caller: only its id is known,
    and only its id is read."""
    request.user = loaded_instance(user_model(), {"id": user_id, "is_active": True})


def lean_answer(request: HttpRequest, *, user_id: int, body: Any, allow: str) -> HttpResponse:
    """A lean path's 200 as the DRF view gives it to a request accepting JSON: the body by
    DRF's JSON renderer, the view's ``Allow`` and ``Vary``; the caller ``user_id``."""
    caller_known(request, user_id)
    response = HttpResponse(_renderer.render(body), content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = allow
    return response
