"""The webhooks observer costs nothing for a workspace without endpoints.

The relay tells each event the observer consumes whether the workspace has an
endpoint that wants it; the observer's subscriptions filter on that attribute
(in production Pub/Sub does, in code the push entry point does again, and the
local stack's push filter does before the push, since the emulator ignores
filters).
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from herald.entrypoints.pubsub import consume
from herald.events.envelope import EventEnvelope
from herald.events.registry import (
    CONSUMER_FILTERS,
    EVENTS,
    WEBHOOK_ENDPOINTS_ATTRIBUTE,
    AttributeFilter,
    subscription_filter,
)
from herald.pipeline.customer_webhooks.presence import EndpointPresence
from herald.resources.webhook_endpoints import EndpointService
from herald.store.documents import InMemoryDocuments
from herald_tools.local.processes import free_port
from herald_tools.local.pushfilter import PushFilter

WS = "ws1"
HOOK = {"url": "https://hooks.example.com/h", "events": ["message:updated"]}


def envelope(event_type: str = "message.sent", workspace: str = WS) -> EventEnvelope:
    return EventEnvelope(
        id=f"{workspace}:m1:4",
        type=event_type,
        version=1,
        workspace=workspace,
        message_id="m1",
        request_id="m1",
        seq=4,
        occurred_ms=1,
        payload={"channel": "email", "provider": "smtp"},
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_filter_refuses_only_its_value_and_admits_an_event_without_the_attribute() -> None:
    wanted = AttributeFilter("webhook_endpoints", "none")
    assert wanted.expression == 'attributes.webhook_endpoints != "none"'
    assert not wanted.admits({"webhook_endpoints": "none"})
    assert wanted.admits({"webhook_endpoints": "some"})
    assert wanted.admits({})  # published by what knew nothing of it
    assert subscription_filter("webhooks") == wanted
    assert subscription_filter("render") is None
    # Pub/Sub refuses a filter over 256 bytes.
    assert all(len(f.expression.encode()) <= 256 for f in CONSUMER_FILTERS.values())


def test_a_workspace_without_endpoints_is_told_so_and_one_with_an_endpoint_too() -> None:
    documents = InMemoryDocuments()
    presence = EndpointPresence(documents, cache_s=0)
    assert presence.attributes(envelope()) == {WEBHOOK_ENDPOINTS_ATTRIBUTE: "none"}
    endpoint = EndpointService(documents).register(WS, HOOK)
    assert presence.attributes(envelope()) == {WEBHOOK_ENDPOINTS_ATTRIBUTE: "some"}
    EndpointService(documents).change(WS, endpoint.id, {"enabled": False})
    assert presence.attributes(envelope()) == {WEBHOOK_ENDPOINTS_ATTRIBUTE: "none"}


def test_only_the_events_the_observer_consumes_get_the_attribute_and_retries_pass() -> None:
    presence = EndpointPresence(InMemoryDocuments(), cache_s=0)
    for spec in EVENTS:
        attributes = presence.attributes(envelope(spec.name))
        filtered = "webhooks" in spec.consumers and spec.name != "webhook.retry_due"
        assert bool(attributes) == filtered, spec.name


def test_a_registered_endpoint_gets_the_events_relayed_once_the_answer_has_expired() -> None:
    documents, clock = InMemoryDocuments(), Clock()
    presence = EndpointPresence(documents, cache_s=10, clock=clock)
    assert not presence.has_endpoints(WS)
    EndpointService(documents).register(WS, HOOK)
    clock.now += 9.9
    assert not presence.has_endpoints(WS)  # what the instance read, for up to 10 s
    clock.now += 0.2
    assert presence.has_endpoints(WS)


def test_the_answers_kept_are_bounded() -> None:
    documents = InMemoryDocuments()
    reads: list[str] = []
    presence = EndpointPresence(documents, cache_s=60, max_workspaces=3, clock=Clock())
    all_of = presence.endpoints.all

    def counted(workspace: str) -> Any:
        reads.append(workspace)
        return all_of(workspace)

    presence.endpoints.all = counted  # type: ignore[method-assign]
    for workspace in ("a", "b", "c", "d", "a"):
        presence.has_endpoints(workspace)
    assert reads == ["a", "b", "c", "d", "a"]  # "a" was pushed out by "d"
    presence.has_endpoints("d")
    assert reads[-1] == "a"  # ... while "d" is still known: no read


def push(event: EventEnvelope, attributes: dict[str, str]) -> dict[str, Any]:
    data = base64.b64encode(event.model_dump_json().encode()).decode()
    return {"message": {"data": data, "attributes": {**event.attributes(), **attributes}}}


def test_a_push_the_filter_refuses_is_acked_without_reaching_the_observer() -> None:
    handled: list[str] = []
    consume(push(envelope(), {WEBHOOK_ENDPOINTS_ATTRIBUTE: "none"}), "webhooks", handled.append)  # type: ignore[arg-type]
    assert handled == []
    consume(
        push(envelope(), {WEBHOOK_ENDPOINTS_ATTRIBUTE: "some"}),
        "webhooks",
        lambda e: handled.append(e.id),
    )
    consume(push(envelope(), {}), "webhooks", lambda e: handled.append(e.id))
    assert handled == [envelope().id, envelope().id]


@pytest.fixture
def function_server() -> Any:
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.path, self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, received
    server.shutdown()
    server.server_close()


def test_the_local_push_filter_acks_what_the_filter_refuses_and_passes_the_rest(
    function_server: Any,
) -> None:
    import urllib.request

    server, received = function_server
    proxy = PushFilter(free_port(), {"webhooks": f"http://127.0.0.1:{server.server_port}"})
    proxy.start()
    try:
        topic_path = "/projects/p/topics/herald-message-sent"

        def post(attributes: dict[str, str]) -> int:
            body = json.dumps(push(envelope(), attributes)).encode()
            request = urllib.request.Request(
                proxy.url("webhooks") + topic_path, body, method="POST"
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)

        assert post({WEBHOOK_ENDPOINTS_ATTRIBUTE: "none"}) == 204
        assert received == [] and proxy.refused == 1
        assert post({WEBHOOK_ENDPOINTS_ATTRIBUTE: "some"}) == 202  # the function's own answer
        [(path, body)] = received
        assert path == topic_path
        assert json.loads(body)["message"]["attributes"][WEBHOOK_ENDPOINTS_ATTRIBUTE] == "some"
    finally:
        proxy.stop()
