"""A push refused while its function is down reaches it once it is back: the local
stack's subscriptions (``push_subscription``) as the emulator runs them."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from herald_tools.local.emulators import Emulators
from herald_tools.local.processes import free_port
from herald_tools.local.wiring import RetrySettings, push_subscription
from tests.conftest import eventually

pytestmark = pytest.mark.integration

MESSAGES = 10
REFUSALS = 3  # each message's pushes failed before its function takes it


def _recorder(answers: list[int]) -> tuple[type[BaseHTTPRequestHandler], set[str]]:
    """A push endpoint answering ``answers`` in turn (204 once they run out), and the
    messages it took."""
    received: set[str] = set()

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            status = answers.pop(0) if answers else 204
            if status == 204:
                received.add(base64.b64decode(body["message"]["data"]).decode())
            self.send_response(status)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Recorder, received


@pytest.fixture
def topic(emulators: Emulators) -> Iterator[tuple[str, str]]:
    """A topic with a dead-letter topic; yields their paths."""
    admin, tag = pubsub_v1.PublisherClient(), uuid.uuid4().hex[:10]
    paths = tuple(admin.topic_path(emulators.project, f"push-{kind}-{tag}") for kind in "td")
    for path in paths:
        admin.create_topic(name=path)
    yield paths[0], paths[1]


@pytest.mark.parametrize("failure", ["refused", "500"])
def test_a_failed_push_is_pushed_again_until_taken(
    emulators: Emulators, topic: tuple[str, str], failure: str
) -> None:
    topic_path, dead_letters = topic
    port = free_port()
    subscriber = pubsub_v1.SubscriberClient()
    name = subscriber.subscription_path(emulators.project, topic_path.rsplit("/", 1)[1])
    subscriber.create_subscription(
        request=push_subscription(
            name, topic_path, f"http://127.0.0.1:{port}/", dead_letters, RetrySettings()
        )
    )
    # 500: the function is up and fails the first pushes; refused: it is down while the
    # emulator pushes each message, and comes up after.
    handler, received = _recorder([500] * MESSAGES * REFUSALS if failure == "500" else [])
    server = _serve(port, handler) if failure == "500" else None
    publisher = pubsub_v1.PublisherClient()
    for n in range(MESSAGES):
        publisher.publish(topic_path, str(n).encode()).result()
    if server is None:
        eventually(
            lambda: _refusals(emulators, port) >= MESSAGES * REFUSALS, what="every message refused"
        )
        server = _serve(port, handler)
    try:
        eventually(
            lambda: len(received) == MESSAGES,
            timeout_s=60,
            what="every message pushed again",
        )
    finally:
        server.shutdown()
        subscriber.delete_subscription(subscription=name)


def _serve(port: int, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _refusals(emulators: Emulators, port: int) -> int:
    """The pushes to ``port`` the emulator logged as failed."""
    log = (emulators.log_dir / "pubsub-emulator.log").read_text(errors="replace")
    return log.count(f"Failed to push to endpoint 'http://127.0.0.1:{port}/'")
