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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from herald.domain.backoff import Backoff
from herald.observability import logs
from herald_tools.local.serving import Served, raw_headers, raw_path

_TRIGGER_PATH = re.compile(r"^/functions/projects/[^/]+/triggers/(?P<trigger>[^/?]+)")
# Eventarc's retries, shortened to a local stack's time scale.
RETRY_BACKOFF = Backoff(base_s=0.1, max_s=10.0)


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
        self._server = Served(self._take, self.port)
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="trigger")
        self._stopping = threading.Event()

    def _take(self, environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        """The emulator's post: taken at once (204), delivered from the pool."""
        request = Request(environ)
        match = _TRIGGER_PATH.match(raw_path(environ))
        if request.method != "POST" or match is None or match["trigger"] not in self.targets:
            return Response(status=404)(environ, start)
        body = request.get_data()
        self.submit(Delivery(match["trigger"], dict(raw_headers(environ)), body))
        return Response(status=204)(environ, start)

    def start(self) -> None:
        self._server.start()

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
        tries = 0
        while not self._stopping.is_set():
            status = self._post(self.targets[delivery.trigger], headers, body)
            tries += 1
            if status is not None and 200 <= status < 300:
                return
            if time.monotonic() > deadline:
                logs.error("trigger delivery abandoned", trigger=delivery.trigger, status=status)
                return
            self._stopping.wait(RETRY_BACKOFF.delay_s(tries))

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
        self._server.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
