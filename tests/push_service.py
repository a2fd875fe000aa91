"""A stand-in for a browser's push service, on 127.0.0.1, and a stand-in
browser that can read what was pushed to it.

`PushService` records every request and answers by the endpoint's last path
segment: `gone` 410, `missing` 404, `busy` 429 (with Retry-After: 0) the
first `busy_times` times and 201 after, `broken` 500, `slow` after
`slow_seconds` (for timeouts), anything else 201 Created as real push
services do.

`Browser` is what a browser keeps for one subscription: a P-256 key pair and
an auth secret (RFC 8291). Its `subscription()` is what the site's page
posts (PushSubscription.toJSON()); `read()` decrypts a pushed body.
"""

import base64
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Pushed:
    path: str
    headers: dict
    body: bytes


@dataclass
class PushService:
    busy_times: int = 1
    slow_seconds: float = 2.0
    # Added to every answer: a push service across the internet.
    latency: float = 0.0
    received: list[Pushed] = field(default_factory=list)

    def __enter__(self) -> "PushService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(service.latency)
                name = self.path.rstrip("/").rsplit("/", 1)[-1]
                service.received.append(Pushed(self.path, dict(self.headers), body))
                status, headers = 201, {}
                if name == "gone":
                    status = 410
                elif name == "missing":
                    status = 404
                elif name == "broken":
                    status = 500
                elif name.startswith("busy"):
                    tries = sum(1 for p in service.received if p.path == self.path)
                    if tries <= service.busy_times:
                        status, headers = 429, {"Retry-After": "0"}
                elif name == "slow":
                    time.sleep(service.slow_seconds)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, name: str) -> list[Pushed]:
        return [p for p in self.received if p.path.rstrip("/").endswith("/" + name)]


class Browser:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, endpoint: str) -> dict:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def read(self, body: bytes) -> bytes:
        return http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
