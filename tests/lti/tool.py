"""An independent LTI 1.3 proctoring tool for the tests, over real HTTP on loopback.

The tool side is pylti1p3 (``pylti1p3next``): its ``Registration`` holds the tool's keys and
publishes its JWKS, its ``ServiceConnector`` gets service tokens (RFC 7523 client assertion)
and makes the assessment-control requests, its ``DynamicRegistration`` registers the tool.
What it lacks for the proctoring messages (it is a tool library for resource links) is written
here with PyJWT: the OIDC login answer, the check of ``LtiStartProctoring``, the
``LtiStartAssessment`` JWT.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AP = "https://purl.imsglobal.org/spec/lti-ap/claim/"
SCOPE_ACS = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"
ACS_TYPE = "application/vnd.ims.lti-ap.v1.control+json"


class Connector(ServiceConnector):
    """pylti1p3's service connector with its token cache in memory (it leaves it to the
    application)."""

    def __init__(self, registration: Registration) -> None:
        super().__init__(registration)
        self.tokens: dict[str, str] = {}
        self.token_requests = 0

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return self.tokens.get(scope_key)

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        self.token_requests += 1
        self.tokens[scope_key] = access_token


def key_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class _JwksServer:
    """The tool's JWKS at ``/jwks`` (a thread serving ``keys``, which a test may change)."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ProctoringTool:
    """A Proctorio-like tool: its client id comes from the platform (manual or dynamic)."""

    def __init__(self, platform_url: str) -> None:
        self.platform = platform_url.rstrip("/")
        self.jwks_server = _JwksServer()
        self.base = self.jwks_server.url
        self.client_id = "tool-" + secrets.token_hex(4)
        self.deployment_id = "dep-1"
        self.login_url = self.base + "/login"
        self.launch_url = self.base + "/launch"
        self.jwks_url = self.base + "/jwks"
        self.rotate_key()
        self.pending: dict[str, str] = {}  # state -> nonce
        self._connector: Connector | None = None

    def stop(self) -> None:
        self.jwks_server.stop()

    def rotate_key(self) -> None:
        self.private_pem, self.public_pem = key_pair()
        self.registration = Registration().set_tool_private_key(self.private_pem)
        self.registration.set_tool_public_key(self.public_pem)
        self.jwks_server.keys = list(self.registration.get_jwks())
        self.kid = self.registration.get_kid()

    def connector(self) -> Connector:
        if self._connector is None:
            self._connector = self._new_connector()
        return self._connector

    def _new_connector(self) -> Connector:
        registration = (
            Registration()
            .set_issuer(self.platform)
            .set_client_id(self.client_id)
            .set_auth_token_url(self.platform + "/lti/token")
            .set_tool_private_key(self.private_pem)
        )
        registration.set_tool_public_key(self.public_pem)
        return Connector(registration)

    # The OIDC login: the platform sent the learner to the login URL.
    def login(self, initiation_url: str, **override: str) -> str:
        """The platform's authorization URL the tool sends the learner to."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(initiation_url).query).items()}
        assert urlsplit(initiation_url)._replace(query="").geturl() == self.login_url
        assert params["iss"] == self.platform
        assert params["client_id"] == self.client_id
        assert params["lti_deployment_id"] == self.deployment_id
        assert params["target_link_uri"] == self.launch_url
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.pending[state] = nonce
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.client_id,
            "redirect_uri": self.launch_url,
            "login_hint": params["login_hint"],
            "lti_message_hint": params["lti_message_hint"],
            "state": state,
            "nonce": nonce,
            **override,
        }
        query = {k: v for k, v in query.items() if v is not None}
        return self.platform + "/lti/authorize?" + urlencode(query)

    def receive(self, page: str) -> dict[str, Any]:
        """The auto-posted form's id_token, verified as the tool must."""
        action = html.unescape(
            re.search(r'<form id="lti-autopost" method="post" action="([^"]+)"', page).group(1)
        )
        assert action == self.launch_url
        fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', page))
        nonce = self.pending.pop(fields["state"])
        keys = jwt.PyJWKClient(self.platform + "/lti/jwks")
        token = fields["id_token"]
        key = keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=self.client_id, issuer=self.platform
        )
        assert claims["nonce"] == nonce
        claims["_kid"] = jwt.get_unverified_header(token)["kid"]
        return claims

    def start_assessment_jwt(
        self, claims: dict[str, Any], *, end_assessment_return: bool = False, **override: Any
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.client_id,
            "aud": self.platform,
            "iat": now,
            "exp": now + 300,
            "nonce": uuid.uuid4().hex,
            LTI + "message_type": "LtiStartAssessment",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "resource_link": claims[LTI + "resource_link"],
            AP + "attempt_number": claims[AP + "attempt_number"],
            AP + "session_data": claims[AP + "session_data"],
            AP + "end_assessment_return": end_assessment_return,
        }
        body.update(override)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.private_pem, algorithm="RS256", headers={"kid": self.kid})

    def acs(self, claims: dict[str, Any], action: str, **fields: Any) -> dict[str, Any]:
        """An assessment-control request through pylti1p3's service connector."""
        body = {
            "user": {"iss": self.platform, "sub": claims["sub"]},
            "resource_link": {"id": claims[LTI + "resource_link"]["id"]},
            "attempt_number": claims[AP + "attempt_number"],
            "action": action,
            "incident_time": "2026-11-30T12:00:00Z",
            **fields,
        }
        answer = self.connector().make_service_request(
            [SCOPE_ACS],
            claims[AP + "acs"]["assessment_control_url"],
            is_post=True,
            data=json.dumps(body),
            content_type=ACS_TYPE,
            accept=ACS_TYPE,
        )
        return dict(answer["body"])


def token_request(tool: ProctoringTool, **claims: Any) -> requests.Response:
    """A raw token request with a client assertion (for the negative cases)."""
    now = int(time.time())
    assertion = {
        "iss": tool.client_id,
        "sub": tool.client_id,
        "aud": tool.platform + "/lti/token",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    assertion = {k: v for k, v in assertion.items() if v is not None}
    signed = jwt.encode(assertion, tool.private_pem, algorithm="RS256", headers={"kid": tool.kid})
    return requests.post(
        tool.platform + "/lti/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signed,
            "scope": SCOPE_ACS,
        },
        timeout=10,
    )
