"""A learner's action on its own attempt with its platform JWT, on a lean path: the caller's
identity confirmed by the action's own lock, not by a statement of its own.

Every learner starts and submits within minutes of the others, each with a token the process
has not seen yet. DRF's authentication reads the token's platform identity (one statement)
before the view locks the attempt (another). Here the token is verified on the CPU (its
claims kept by ``auth_cache``, as the poll's lean path keeps them), and the lock reads, as a
sub-select, the user of that identity: it must be active, must have had exactly these claims
applied, and must own the attempt (``attempts.actions.ViewerUnconfirmed`` else, with nothing
changed). A start or submit is then 2 statements and the commit on PostgreSQL, the identity
included: the lock, then the change (its UPDATE, history and events in one statement).

Every other case goes to the DRF view, which answers as before: an identity to make or update
(a first request, changed claims), an inactive user, a refused or malformed token, an API key
or a session, someone else's or an unknown attempt, a browser asking for HTML, a query string,
and a start with a body (its access code is validated by the view's serializer). The lean
path's refusals are built by the view itself (its exception handler, its content negotiation
and headers), so they are the DRF view's answers; its 200 is the poll's lean answer (the body
by DRF's JSON renderer, the headers DRF's view gives it), which tests hold equal to the view's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.views import APIView

from proctoring.attempts import actions
from proctoring.rest.auth_cache import auth_cache, secret_key
from proctoring.rest.v1.access import gate_action
from proctoring.rest.v1.attempt_poll import (
    JSON_ACCEPTS,
    bearer_token,
    caller_known,
    lean_answer,
    token_viewer,
)


def _lean_request(request: HttpRequest, action: str) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    if request.method != "POST" or request.META.get("QUERY_STRING") or accept not in JSON_ACCEPTS:
        return False
    # A start's body may carry an access code, which the view's serializer validates; the
    # other actions read no body.
    return action != "start" or request.META.get("CONTENT_LENGTH") in (None, "", "0")


def attempt_act_lean(
    view: APIView, request: HttpRequest, attempt_id: int, action: str, render: Any
) -> HttpResponse | None:
    """The action's answer when the lean path can give it, else None (the DRF view answers).

    ``view`` is the DRF view, which builds the answer; ``render`` turns the attempt into the
    body (the view's ``render_attempt``).
    """
    if not _lean_request(request, action):
        return None
    token = bearer_token(request)
    viewer = token_viewer(token) if token is not None else None
    if token is None or viewer is None:
        return None
    gates = gate_action(request, attempt_id=attempt_id, action=action, access_code=None)
    confirmed: list[int] = []  # the caller, once the lock confirmed it: the request log's

    def check(locked: Any) -> None:
        confirmed.append(locked.user_id)
        gates.check(locked)

    try:
        attempt = actions.attempt_act(
            attempt_id=attempt_id,
            action=action,
            actor_id=None,
            guard=replace(gates, check=check),
            viewer=viewer,
        )
    except actions.ViewerUnconfirmed:
        # What DRF's authentication kept of this token may be stale: it verifies anew.
        auth_cache.forget(secret_key("jwt", token))
        return None
    except Exception as exc:  # the view's exception handler answers, as in DRF's dispatch
        return _refusal(view, request, attempt_id, confirmed[0] if confirmed else None, exc)
    return _done(view, request, attempt.user_id, render(attempt))


def _done(view: APIView, request: HttpRequest, user_id: int, body: Any) -> HttpResponse:
    """The action's answer when it succeeded: the DRF view's 200, as the poll's lean path
    gives it (``lean_answer``), without building DRF's request and negotiating again: the
    lean path only takes requests that accept JSON."""
    return lean_answer(request, user_id=user_id, body=body, allow=", ".join(view.allowed_methods))


def _refusal(
    view: APIView, request: HttpRequest, attempt_id: int, user_id: int | None, exc: Exception
) -> HttpResponse:
    """The DRF view's answer to the exception the action raised: made by the view's own
    exception handler, content negotiation and headers."""
    kwargs = {"attempt_id": attempt_id}
    view.args, view.kwargs = (), kwargs
    drf_request = view.initialize_request(request, **kwargs)
    view.request = drf_request
    view.headers = view.default_response_headers
    if user_id is not None:
        caller_known(drf_request, user_id)
    view.format_kwarg = view.get_format_suffix(**kwargs)
    renderer, media_type = view.perform_content_negotiation(drf_request)
    drf_request.accepted_renderer, drf_request.accepted_media_type = renderer, media_type
    response = view.handle_exception(exc)
    answer: HttpResponse = view.finalize_response(drf_request, response, **kwargs)
    return answer
