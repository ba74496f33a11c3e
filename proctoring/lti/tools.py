"""The tools the platform trusts: registering one (admin, CLI, dynamic registration), finding
it, and checking the JWTs it signs with its keys.

A tool's keys come from its JWKS URL (fetched once, kept on the tool's row, and fetched again
when a JWT names a ``kid`` the kept set does not have: the tool rotated) or from one public
key given at registration.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from jwt.algorithms import RSAAlgorithm

from proctoring.core.clock import now
from proctoring.lti.errors import LtiError
from proctoring.lti.messages import ACS_ACTIONS
from proctoring.lti.models import LtiTool

JWKS_TIMEOUT_SECONDS = 5.0
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class ToolSpec:
    """A tool as an administrator (or the tool itself) registers it."""

    name: str
    client_id: str
    deployment_id: str
    login_url: str
    launch_url: str
    redirect_uris: tuple[str, ...] = ()
    jwks_url: str = ""
    public_jwk: Mapping[str, Any] | None = None
    actions: tuple[str, ...] = field(default=ACS_ACTIONS)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def tool_spec_problems(spec: ToolSpec) -> list[str]:
    """What is wrong with the registration (empty when nothing is)."""
    problems = []
    for name in ("name", "client_id", "deployment_id"):
        if not str(getattr(spec, name)).strip():
            problems.append(f"{name} is required")
    for name in ("login_url", "launch_url"):
        if not _is_http_url(getattr(spec, name)):
            problems.append(f"{name} must be an http(s) URL")
    problems += [
        f"redirect URI {uri!r} is not an http(s) URL"
        for uri in spec.redirect_uris
        if not _is_http_url(uri)
    ]
    if spec.jwks_url and not _is_http_url(spec.jwks_url):
        problems.append("jwks_url must be an http(s) URL")
    if not spec.jwks_url and not spec.public_jwk:
        problems.append("a JWKS URL or a public key is required")
    if spec.public_jwk:
        try:
            RSAAlgorithm.from_jwk(json.dumps(dict(spec.public_jwk)))
        except (jwt.InvalidKeyError, ValueError, TypeError, KeyError):
            problems.append("public_jwk is not an RSA public key in JWK form")
    unknown = sorted(set(spec.actions) - set(ACS_ACTIONS))
    if unknown:
        problems.append(f"unknown actions: {', '.join(unknown)} (known: {', '.join(ACS_ACTIONS)})")
    return problems


def tool_register(spec: ToolSpec, *, dynamically: bool = False) -> LtiTool:
    """Register (or, by client id, update) a tool; ``LtiError`` naming what is wrong."""
    problems = tool_spec_problems(spec)
    if problems:
        raise LtiError("; ".join(problems))
    redirect_uris = list(spec.redirect_uris) or [spec.launch_url]
    defaults = {
        "name": spec.name,
        "deployment_id": spec.deployment_id,
        "login_url": spec.login_url,
        "launch_url": spec.launch_url,
        "redirect_uris": redirect_uris,
        "jwks_url": spec.jwks_url,
        "public_jwk": dict(spec.public_jwk) if spec.public_jwk else None,
        "actions": [a for a in ACS_ACTIONS if a in spec.actions],
        "jwks_cache": None,
        "jwks_fetched_at": None,
        "registered_dynamically": dynamically,
    }
    tool, _ = LtiTool.objects.update_or_create(
        client_id=spec.client_id,
        defaults=defaults,
        create_defaults={**defaults, "created": now()},
    )
    return tool


def tool_get(client_id: str) -> LtiTool:
    tool = LtiTool.objects.filter(client_id=client_id).first() if client_id else None
    if tool is None:
        raise LtiError(f"No tool is registered with client id {client_id!r}.")
    return tool


def tool_for_provider(name: str | None) -> LtiTool | None:
    """The tool an ``lti`` provider alias uses: the one named by client id, else the only one."""
    if name:
        return LtiTool.objects.filter(client_id=name).first()
    tools = list(LtiTool.objects.all()[:2])
    return tools[0] if len(tools) == 1 else None


def _fetch_jwks(tool: LtiTool) -> list[dict[str, Any]]:
    try:
        response = requests.get(tool.jwks_url, timeout=JWKS_TIMEOUT_SECONDS)
        response.raise_for_status()
        keys = response.json().get("keys")
    except (requests.RequestException, ValueError, AttributeError) as exc:
        raise LtiError(f"The tool's JWKS could not be fetched: {exc}") from exc
    if not isinstance(keys, list):
        raise LtiError("The tool's JWKS has no keys.")
    tool.jwks_cache = [k for k in keys if isinstance(k, dict)]
    tool.jwks_fetched_at = now()
    LtiTool.objects.filter(pk=tool.pk).update(
        jwks_cache=tool.jwks_cache, jwks_fetched_at=tool.jwks_fetched_at
    )
    return tool.jwks_cache


def _find(keys: Iterable[Mapping[str, Any]], kid: str | None) -> Mapping[str, Any] | None:
    for key in keys:
        if kid is None or key.get("kid") == kid:
            return key
    return None


def tool_key(tool: LtiTool, kid: str | None) -> Any:
    """The tool's public key for ``kid``: its registered key, else from its JWKS (kept; fetched
    again when the kid is unknown)."""
    found = None
    if tool.public_jwk and (kid is None or tool.public_jwk.get("kid") in (None, kid)):
        found = tool.public_jwk
    elif tool.jwks_url:
        found = _find(tool.jwks_cache or [], kid)
        if found is None:
            found = _find(_fetch_jwks(tool), kid)
    if found is None:
        raise LtiError(f"The tool has no key {kid!r}.")
    try:
        return RSAAlgorithm.from_jwk(json.dumps(dict(found)))
    except (jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise LtiError("The tool's key is not an RSA public key.") from exc


def tool_jwt_decode(tool: LtiTool, token: str, *, audience: str) -> dict[str, Any]:
    """The claims of a JWT the tool signed (RS256), for ``audience``, not expired, issued by
    the tool (``iss`` is its client id); ``LtiError`` otherwise."""
    if not isinstance(token, str) or not token:
        raise LtiError("The JWT is missing.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise LtiError(f"The JWT is malformed: {exc}") from exc
    if header.get("alg") != "RS256":
        raise LtiError("The JWT must be signed RS256.")
    key = tool_key(tool, header.get("kid"))
    try:
        return jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            issuer=tool.client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise LtiError(f"The JWT does not verify: {exc}") from exc


def platform_issuer(base_url: str) -> str:
    """The platform's issuer: ``LTI_ISSUER``, else the service's public URL, else the URL the
    request came to (``base_url``), without a trailing slash."""
    issuer = settings.LTI_ISSUER or settings.PROCTORING_PUBLIC_URL or base_url
    return str(issuer).rstrip("/")
