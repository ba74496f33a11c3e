"""LTI Dynamic Registration (1EdTech LTI-DR 1.0), the platform's side.

An administrator makes a registration link (``proctoring lti_tool link``): a one-time token,
valid for a week, that the tool's registration page receives with the address of the
platform's OpenID configuration. The tool reads the configuration, then posts its client
registration (OpenID Connect Dynamic Client Registration, with the LTI tool configuration
claim) with the token as a Bearer credential; the platform registers the tool with a new client
id and deployment id and answers them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction

from proctoring.core.clock import now
from proctoring.lti import messages as m
from proctoring.lti.errors import LtiError, LtiUnauthorized
from proctoring.lti.models import LtiRegistrationLink, LtiTool
from proctoring.lti.tools import ToolSpec, tool_register

LINK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class PlatformEndpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def registration_link_create(*, name: str = "", seconds: int = LINK_SECONDS) -> str:
    """A new one-time registration token (returned once; only its digest is kept)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    LtiRegistrationLink.objects.create(
        digest=_digest(token),
        name=name,
        expires_at=moment + timedelta(seconds=seconds),
        created=moment,
    )
    return token


def openid_configuration(urls: PlatformEndpoints) -> dict[str, Any]:
    """The platform's OpenID configuration, in the shape LTI Dynamic Registration asks for."""
    return {
        "issuer": urls.issuer,
        "authorization_endpoint": urls.authorization_endpoint,
        "token_endpoint": urls.token_endpoint,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": urls.jwks_uri,
        "registration_endpoint": urls.registration_endpoint,
        "scopes_supported": ["openid", m.SCOPE_ACS],
        "response_types_supported": ["id_token"],
        "response_modes_supported": ["form_post"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "aud", "sub", "iat", "exp", "nonce"],
        m.PLATFORM_CONFIGURATION: {
            "product_family_code": "proctoring",
            "version": "1.0",
            "messages_supported": [
                {"type": m.START_PROCTORING},
                {"type": m.END_ASSESSMENT},
            ],
            "variables": [],
        },
    }


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LtiError(f"{name} must be a list of strings.")
    return value


def registration_accept(*, authorization: str, body: Any) -> tuple[LtiTool, dict[str, Any]]:
    """Register the tool that presents a valid registration token; the tool and the answer."""
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise LtiUnauthorized("The registration token is required (Authorization: Bearer).")
    if not isinstance(body, dict):
        raise LtiError("The body must be a JSON object.")
    config = body.get(m.TOOL_CONFIGURATION)
    if not isinstance(config, Mapping):
        raise LtiError(f"The claim {m.TOOL_CONFIGURATION} is required.")
    if body.get("token_endpoint_auth_method", "private_key_jwt") != "private_key_jwt":
        raise LtiError("token_endpoint_auth_method must be private_key_jwt.")
    if "id_token" not in _strings(body.get("response_types", ["id_token"]), "response_types"):
        raise LtiError("response_types must include id_token.")
    redirect_uris = _strings(body.get("redirect_uris"), "redirect_uris")
    scopes = str(body.get("scope") or "").split()
    target = config.get("target_link_uri")
    if not isinstance(target, str):
        raise LtiError("The tool configuration's target_link_uri is required.")
    with transaction.atomic():
        link = (
            LtiRegistrationLink.objects.select_for_update()
            .filter(digest=_digest(token.strip()))
            .first()
        )
        moment = now()
        if link is None or link.used_at is not None or link.expires_at <= moment:
            raise LtiUnauthorized("The registration token is unknown, used or expired.")
        spec = ToolSpec(
            name=str(body.get("client_name") or link.name or "LTI tool")[:200],
            client_id=secrets.token_urlsafe(16),
            deployment_id=secrets.token_urlsafe(8),
            login_url=str(body.get("initiate_login_uri") or ""),
            launch_url=target,
            redirect_uris=tuple(redirect_uris),
            jwks_url=str(body.get("jwks_uri") or ""),
            actions=m.ACS_ACTIONS if m.SCOPE_ACS in scopes else (),
        )
        tool = tool_register(spec, dynamically=True)
        link.used_at, link.tool = moment, tool
        link.save(update_fields=["used_at", "tool"])
    answer = {
        "client_id": tool.client_id,
        "client_name": tool.name,
        "initiate_login_uri": tool.login_url,
        "redirect_uris": tool.redirect_uris,
        "jwks_uri": tool.jwks_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["implicit", "client_credentials"],
        "response_types": ["id_token"],
        "scope": " ".join(s for s in scopes if s == m.SCOPE_ACS),
        m.TOOL_CONFIGURATION: {**dict(config), "deployment_id": tool.deployment_id},
    }
    return tool, answer
