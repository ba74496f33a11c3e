"""Service tokens for tools: the OAuth 2 client-credentials grant with a JWT client assertion
(RFC 7523, as LTI 1.3 requires): ``iss`` = ``sub`` = the client id, ``aud`` = the token
endpoint, signed with the tool's key, a ``jti`` never seen before, a short life. The token
carries the scopes asked for among those the platform grants (assessment control)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from proctoring.core.clock import now
from proctoring.lti import messages as m
from proctoring.lti.errors import LtiError, LtiForbidden, LtiInvalidClient, LtiUnauthorized
from proctoring.lti.launches import seen_value_record
from proctoring.lti.models import LtiAccessToken, LtiTool
from proctoring.lti.tools import tool_jwt_decode

TOKEN_SECONDS = 3600
MAX_ASSERTION_SECONDS = 5 * 60
GRANTED_SCOPES = (m.SCOPE_ACS,)


class LtiInvalidScope(LtiError):
    code = "invalid_scope"


class LtiUnsupportedGrant(LtiError):
    code = "unsupported_grant_type"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: tuple[str, ...]
    expires_in: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, form: Mapping[str, Any], token_url: str) -> IssuedToken:
    """Check the client credentials grant and issue a token."""
    if form.get("grant_type") != "client_credentials":
        raise LtiUnsupportedGrant("The grant_type must be client_credentials.")
    if form.get("client_assertion_type") != m.CLIENT_ASSERTION_TYPE:
        raise LtiError(f"The client_assertion_type must be {m.CLIENT_ASSERTION_TYPE}.")
    assertion = form.get("client_assertion")
    if not isinstance(assertion, str) or not assertion:
        raise LtiError("The client_assertion is required.")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LtiInvalidClient(f"The client_assertion is malformed: {exc}") from exc
    client_id = unverified.get("iss")
    tool = (
        LtiTool.objects.filter(client_id=client_id).first() if isinstance(client_id, str) else None
    )
    if tool is None:
        raise LtiInvalidClient("The client is not registered.")
    try:
        claims = tool_jwt_decode(tool, assertion, audience=token_url)
    except LtiError as exc:
        raise LtiInvalidClient(exc.message) from exc
    if claims.get("sub") != tool.client_id:
        raise LtiInvalidClient("The assertion's sub must be the client id.")
    if claims["exp"] - claims["iat"] > MAX_ASSERTION_SECONDS:
        raise LtiInvalidClient(f"The assertion may live {MAX_ASSERTION_SECONDS} seconds at most.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise LtiInvalidClient("The assertion's jti is required.")
    asked = str(form.get("scope") or "").split()
    scopes = tuple(s for s in asked if s in GRANTED_SCOPES)
    if not scopes:
        raise LtiInvalidScope(
            f"No scope that can be granted was asked for: {' '.join(GRANTED_SCOPES)}."
        )
    seen_value_record(tool=tool, kind="jti", value=jti, seconds=MAX_ASSERTION_SECONDS * 2)
    token = secrets.token_urlsafe(32)
    moment = now()
    LtiAccessToken.objects.filter(expires_at__lte=moment).delete()
    LtiAccessToken.objects.create(
        tool=tool,
        digest=_digest(token),
        scopes=list(scopes),
        expires_at=moment + timedelta(seconds=TOKEN_SECONDS),
        created=moment,
    )
    return IssuedToken(access_token=token, scopes=scopes, expires_in=TOKEN_SECONDS)


def token_tool(*, authorization: str, scope: str) -> LtiTool:
    """The tool a ``Bearer`` token was issued to: 401 without a valid token, 403 when the
    token lacks ``scope``."""
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise LtiUnauthorized("A Bearer token is required.")
    row = (
        LtiAccessToken.objects.select_related("tool")
        .filter(digest=_digest(token.strip()), expires_at__gt=now())
        .first()
    )
    if row is None:
        raise LtiUnauthorized("The token is unknown or has expired.")
    if scope not in row.scopes:
        raise LtiForbidden(f"The token does not have the scope {scope}.")
    return row.tool
