"""A proctoring vendor for the tests: a small HTTP server on a loopback port that plays the
vendor's side of the reference's REST contract (docs/providers.md), and posts its callbacks
(``ready``, ``reviewed``) back to the service, so the tests cross real HTTP both ways.

Modes: ``ok``; ``slow`` (every answer waits ``slow_seconds`` first: the service times out);
``down`` (every connection is dropped unanswered: the vendor is unreachable); ``error``
(every answer is an HTTP 500).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from standardwebhooks.webhooks import Webhook

CLIENT_ID = "sim-client"
CLIENT_SECRET = "sim-client-secret-of-some-length"


@dataclass
class Call:
    method: str
    path: str
    body: Any
    authorization: str


@dataclass
class VendorState:
    mode: str = "ok"
    slow_seconds: float = 2.0
    token_lifetime: int = 3600
    tokens: dict[str, float] = field(default_factory=dict)
    token_requests: int = 0
    calls: list[Call] = field(default_factory=list)
    exams: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Learners (by the id the service sends) whose attempts get an onboarding status instead.
    onboarding: dict[str, str] = field(default_factory=dict)
    onboarding_statuses: list[dict[str, Any]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(
        default_factory=lambda: {
            "name": "Simulated Proctoring",
            "download_url": "https://vendor.example/download",
            "instructions": ["Download the software", "Run it"],
            "rules": {"allow_notes": "Allow paper notes"},
        }
    )

    def api_calls(self, method: str | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.path != "/oauth2/access_token" and (method is None or call.method == method)
        ]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return {key: values[0] for key, values in parse_qs(raw.decode()).items()}
        return json.loads(raw) if raw else None

    def _answer(self, status: int, data: Any = None) -> None:
        body = json.dumps(data).encode() if data is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        state = self.server.state
        body = self._body()
        path = urlsplit(self.path).path
        state.calls.append(Call(self.command, path, body, self.headers.get("Authorization", "")))
        if state.mode == "down":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if state.mode == "slow":
            time.sleep(state.slow_seconds)
        if state.mode == "error":
            self._answer(500, {"error": "simulated failure"})
            return
        if path == "/oauth2/access_token":
            self._token(body or {})
            return
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "JWT" or state.tokens.get(token, 0) < time.time():
            self._answer(401, {"error": "invalid token"})
            return
        status, data = self._route(self.command, [unquote(p) for p in path.split("/")], body)
        self._answer(status, data)

    def _token(self, form: dict[str, str]) -> None:
        state = self.server.state
        state.token_requests += 1
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
        ):
            self._answer(401, {"error": "invalid_client"})
            return
        token = secrets.token_hex(8)
        state.tokens[token] = time.time() + state.token_lifetime
        self._answer(
            200, {"access_token": token, "expires_in": state.token_lifetime, "token_type": "JWT"}
        )

    def _route(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        state = self.server.state
        # parts: ['', 'api', 'v1', ...]
        match parts[3:], method:
            case ["config", ""], "GET":
                return 200, state.config
            case ["exam", ""], "POST":
                external_id = f"exam-{len(state.exams) + 1}"
                state.exams[external_id] = dict(body)
                return 200, {"id": external_id}
            case ["exam", exam_id, ""], "POST" if exam_id in state.exams:
                state.exams[exam_id] = dict(body)
                return 200, {"id": exam_id}
            case ["exam", exam_id, "attempt", ""], "POST" if exam_id in state.exams:
                onboarding = state.onboarding.get(body.get("user_id"))
                if onboarding:
                    return 200, {"status": onboarding}
                external_id = f"att-{secrets.token_hex(6)}"
                state.attempts[external_id] = {"exam": exam_id, "status": "created", **body}
                return 200, {"id": external_id}
            case ["exam", exam_id, "attempt", attempt_id, ""], _ if attempt_id in state.attempts:
                attempt = state.attempts[attempt_id]
                if method == "PATCH":
                    attempt["status"] = body["status"]
                    return 200, {"id": attempt_id, "status": attempt["status"]}
                if method == "DELETE":
                    attempt["status"] = "deleted"
                    return 200, {"status": "deleted"}
                if method == "GET":
                    return 200, {
                        "status": attempt["status"],
                        "instructions": ["Attempt step 1"],
                        "download_url": state.config["download_url"],
                    }
            case ["courses", _course, "onboarding_statuses"], "GET":
                return 200, {"results": state.onboarding_statuses}
            case ["user", user_id, ""], "DELETE":
                state.retired.append(user_id)
                return 200, True
        return 404, {"error": "not found"}

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = VendorState()


class VendorSimulator:
    """The vendor, serving in a thread until ``stop``."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def state(self) -> VendorState:
        return self._server.state

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # The vendor's calls to the service.

    def callback(
        self,
        service_url: str,
        path: str,
        payload: dict[str, Any],
        *,
        secret: str | None = None,
        message_id: str | None = None,
        timestamp: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST a callback, signed with ``secret`` (Standard Webhooks) when one is given."""
        body = json.dumps(payload)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if secret is not None:
            moment = timestamp or datetime.now(UTC)
            message_id = message_id or f"msg_{secrets.token_hex(8)}"
            sent["webhook-id"] = message_id
            sent["webhook-timestamp"] = str(int(moment.timestamp()))
            sent["webhook-signature"] = Webhook(secret).sign(message_id, moment, body)
        return requests.post(f"{service_url}{path}", data=body, headers=sent, timeout=10)
