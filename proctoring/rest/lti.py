"""The machine endpoints of LTI Proctoring Services (docs/lti.md): the platform's OpenID
configuration, its JWKS, dynamic registration, the token endpoint and assessment control.
Plain Django views (they are not resources of the v1 API); every refusal is a JSON body with
``error`` and ``error_description`` and its 4xx status, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from proctoring.lti import messages as m
from proctoring.lti.acs import acs_act
from proctoring.lti.endpoints import platform_endpoints, token_url
from proctoring.lti.errors import LtiError
from proctoring.lti.keys import jwks as platform_jwks
from proctoring.lti.registration import openid_configuration, registration_accept
from proctoring.lti.tokens import token_issue, token_tool

JSON_TYPES = ("application/json", m.ACS_MEDIA_TYPE)
MAX_BODY = 64 * 1024


def _base(request: HttpRequest) -> str:
    return str(settings.PROCTORING_PUBLIC_URL or request.build_absolute_uri("/"))


def _refusal(exc: LtiError) -> JsonResponse:
    response = JsonResponse(
        {"error": exc.code, "error_description": exc.message}, status=exc.http_status
    )
    if exc.http_status == 401:
        response["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    response["Cache-Control"] = "no-store"
    return response


def _json_body(request: HttpRequest) -> Any:
    media_type = request.content_type or ""
    if media_type not in JSON_TYPES:
        raise LtiError(f"The body must be one of {', '.join(JSON_TYPES)}.")
    if len(request.body) > MAX_BODY:
        raise LtiError("The body is too large.")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LtiError(f"The body is not JSON: {exc}") from exc


def _lti_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except LtiError as exc:
            return _refusal(exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_GET
def openid_configuration_view(request: HttpRequest) -> JsonResponse:
    """``/.well-known/openid-configuration``: the platform's configuration (LTI-DR)."""
    return JsonResponse(openid_configuration(platform_endpoints(_base(request))))


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    """The platform's public keys."""
    response = JsonResponse(platform_jwks())
    response["Cache-Control"] = "max-age=300"
    return response


@csrf_exempt
@require_POST
@_lti_errors
def register_view(request: HttpRequest) -> JsonResponse:
    """Dynamic registration: the tool posts its configuration with the registration token."""
    _, answer = registration_accept(
        authorization=request.headers.get("Authorization", ""), body=_json_body(request)
    )
    return JsonResponse(answer, status=201)


@csrf_exempt
@require_POST
@_lti_errors
def token_view(request: HttpRequest) -> JsonResponse:
    """OAuth 2 client credentials with a JWT client assertion (RFC 7523)."""
    issued = token_issue(form=request.POST, token_url=token_url(_base(request)))
    response = JsonResponse(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
@_lti_errors
def acs_view(request: HttpRequest) -> JsonResponse:
    """Assessment control: pause, resume, update, flag, terminate."""
    tool = token_tool(authorization=request.headers.get("Authorization", ""), scope=m.SCOPE_ACS)
    answer = acs_act(tool=tool, body=_json_body(request))
    response = JsonResponse({"status": answer.status, "extra_time": answer.extra_time})
    response["Content-Type"] = m.ACS_MEDIA_TYPE
    return response


urlpatterns = [
    path(".well-known/openid-configuration", openid_configuration_view, name="lti-openid"),
    path("lti/jwks", jwks_view, name="lti-jwks"),
    path("lti/register", register_view, name="lti-register"),
    path("lti/token", token_view, name="lti-token"),
    path("lti/acs", acs_view, name="lti-acs"),
]
