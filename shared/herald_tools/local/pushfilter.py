"""Subscription filters, which the Pub/Sub emulator accepts and ignores, applied locally.

In the cloud Pub/Sub acks what a subscription's filter refuses without pushing
it. The local stack points a filtered consumer's subscriptions at this proxy
(``/<consumer>/projects/P/topics/T``): a push the consumer's filter refuses is
answered 204 here, as Pub/Sub would ack it, and the others are passed on to
the function unchanged, its answer returned. So a function sees, and the
benchmark counts, the pushes it would get in the cloud.
"""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from herald.events.registry import subscription_filter

FORWARD_TIMEOUT_S = 600.0  # longer than any push's ack deadline


class PushFilter:
    def __init__(self, port: int, targets: dict[str, str]) -> None:
        """``targets``: consumer -> its function's base URL."""
        self.port = port
        self.targets = targets
        self.refused = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                consumer, _, rest = self.path.lstrip("/").partition("/")
                if consumer not in proxy.targets:
                    self._answer(404)
                    return
                if not proxy.admits(consumer, body):
                    with proxy._lock:
                        proxy.refused += 1
                    self._answer(204)
                    return
                self._answer(*proxy.forward(consumer, "/" + rest, dict(self.headers), body))

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._serving = False

    def url(self, consumer: str) -> str:
        """The base URL a consumer's filtered subscriptions push to."""
        return f"http://127.0.0.1:{self.port}/{consumer}"

    @staticmethod
    def admits(consumer: str, body: bytes) -> bool:
        wanted = subscription_filter(consumer)
        if wanted is None:
            return True
        try:
            attributes = json.loads(body)["message"].get("attributes") or {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return True  # not for the filter to judge: the function refuses what is malformed
        return wanted.admits(attributes)

    def forward(
        self, consumer: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        target = urlsplit(self.targets[consumer])
        connection = http.client.HTTPConnection(
            target.hostname or "127.0.0.1", target.port, timeout=FORWARD_TIMEOUT_S
        )
        try:
            passed = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request("POST", path, body, passed)
            response = connection.getresponse()
            return response.status, response.read()
        except OSError:
            return 502, b""  # the function is down: Pub/Sub retries the push
        finally:
            connection.close()

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._serving = True

    def stop(self) -> None:
        if self._serving:
            self._server.shutdown()
            self._serving = False
        self._server.server_close()
