"""A webhook receiver for `proctoring bench_outbox`: answers 204 to every POST on a loopback
port and counts them; prints its URL, then serves until its standard input closes."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        global received
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            received += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # the count, for the bench's check
        body = str(received).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"http://127.0.0.1:{server.server_address[1]}/hooks", flush=True)
sys.stdin.read()
server.shutdown()
