"""A webhook receiver on a loopback port, in a thread: it verifies each message's signature
with the standardwebhooks library and records what it got, and can be told to fail."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Subscriber:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.received: list[dict] = []  # verified bodies, in arrival order
        self.refused: list[str] = []  # why messages were refused
        self.fail_with: int | None = None  # answer this status instead of 204
        self._lock = threading.Lock()
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status = subscriber.receive(body, dict(self.headers.items()))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        if self.fail_with is not None:
            return self.fail_with
        for secret in self.secrets:
            try:
                data = Webhook(secret).verify(body, headers)
            except WebhookVerificationError as exc:
                error = str(exc)
                continue
            with self._lock:
                self.received.append(data)
            return 204
        with self._lock:
            self.refused.append(error if self.secrets else "no secret")
        return 401

    def ids(self) -> list[str]:
        with self._lock:
            return [message["id"] for message in self.received]

    def __enter__(self) -> Subscriber:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def body_of(message: dict) -> str:
    return json.dumps(message)
