"""Makes the Firestore emulator's trigger deliveries look like Eventarc's.

The emulator posts ``/functions/projects/P/triggers/ID`` with the protobuf as
base64 text, a doubled ``projects/`` in ``ce-source``, and never retries. The
router decodes the body, mends the source, forwards the binary-mode CloudEvent
to the function registered for the trigger, and retries with backoff as the
production trigger's retry policy does.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from herald.observability import logs

_TRIGGER_PATH = re.compile(r"^/functions/projects/[^/]+/triggers/(?P<trigger>[^/?]+)")


@dataclass(frozen=True)
class Delivery:
    trigger: str
    headers: dict[str, str]
    body: bytes


def eventarc_request(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    """The request Eventarc would have sent for what the emulator sent."""
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raw = body  # already raw bytes, as in production
    forwarded = {k.lower(): v for k, v in headers.items() if k.lower().startswith("ce-")}
    if source := forwarded.get("ce-source"):
        forwarded["ce-source"] = source.replace("/projects/projects/", "/projects/")
    forwarded["content-type"] = "application/protobuf"
    return forwarded, raw


@dataclass
class TriggerRouter:
    port: int
    targets: dict[str, int] = field(default_factory=dict)  # trigger id -> function port
    retry_window_s: float = 600.0
    # Fault injection: deliveries matching one of these are dropped, as a lost trigger is.
    drop_rules: list[Callable[[Delivery], bool]] = field(default_factory=list)
    dropped: int = 0

    def __post_init__(self) -> None:
        router = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                match = _TRIGGER_PATH.match(self.path)
                if match is None or match["trigger"] not in router.targets:
                    self.send_response(404)
                    self.end_headers()
                    return
                router.submit(Delivery(match["trigger"], dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="trigger")
        self._stopping = threading.Event()
        self._serving = False

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._serving = True

    def drop_first(self, matches: Callable[[Delivery], bool]) -> None:
        """Drops the next delivery that ``matches``, once."""
        self.drop_rules.append(matches)

    def submit(self, delivery: Delivery) -> None:
        for rule in list(self.drop_rules):
            if rule(delivery):
                self.drop_rules.remove(rule)
                self.dropped += 1
                return
        self._pool.submit(self._deliver, delivery)

    def _deliver(self, delivery: Delivery) -> None:
        headers, body = eventarc_request(delivery.headers, delivery.body)
        deadline = time.monotonic() + self.retry_window_s
        delay = 0.1
        while not self._stopping.is_set():
            status = self._post(self.targets[delivery.trigger], headers, body)
            if status is not None and 200 <= status < 300:
                return
            if time.monotonic() > deadline:
                logs.error("trigger delivery abandoned", trigger=delivery.trigger, status=status)
                return
            self._stopping.wait(delay)
            delay = min(delay * 2, 10.0)

    @staticmethod
    def _post(port: int, headers: dict[str, str], body: bytes) -> int | None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("POST", "/", body, headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except OSError:
            return None
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._serving:  # shutdown() of an idle server waits forever
            self._server.shutdown()
            self._serving = False
        self._server.server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)
