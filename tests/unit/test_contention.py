"""A write that stays contended is answered "try again", never 500, and never lost."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from herald.entrypoints.pubsub import consume
from herald.errors import Contended
from herald.events.envelope import EventEnvelope
from tests.unit.test_api import call, make_api
from tests.unit.test_idempotency_api import Harness


def contended(*args: Any, **kwargs: Any) -> Any:
    raise Contended("contended past 20 attempts")


def test_a_contended_write_is_409_with_retry_after_and_stores_nothing() -> None:
    api, pipeline = make_api()
    update = pipeline.documents.update
    pipeline.documents.update = contended  # type: ignore[method-assign]
    response = call(api, "PUT", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    assert response.status == 409
    assert response.headers["Retry-After"] == "1"
    assert response.body["type"] == "conflict_error"
    pipeline.documents.update = update  # type: ignore[method-assign]
    assert call(api, "GET", "/profiles/ada").status == 404
    assert call(api, "PUT", "/profiles/ada", {"profile": {"email": "a@example.com"}}).status < 300


def test_a_contended_idempotent_send_is_not_pinned_to_its_key() -> None:
    h = Harness()
    create = h.pipeline.messages.create_request
    h.pipeline.messages.create_request = contended  # type: ignore[method-assign]
    first = h.post()
    assert (first.status, first.headers["Retry-After"]) == (409, "1")
    h.pipeline.messages.create_request = create  # type: ignore[method-assign]
    retried = h.post()
    assert retried.status == 202 and "Idempotent-Replayed" not in retried.headers
    assert h.requests_stored() == 1


def test_a_contended_claim_of_the_key_itself_is_409_too() -> None:
    h = Harness()
    h.store.claim = contended  # type: ignore[method-assign]
    response = h.post()
    assert (response.status, response.headers["Retry-After"]) == (409, "1")
    assert h.requests_stored() == 0


def test_a_consumer_raises_contended_so_that_the_event_is_redelivered() -> None:
    envelope = EventEnvelope(
        id="ws1:m1:1",
        type="message.enqueued",
        version=1,
        workspace="ws1",
        message_id="m1",
        request_id="m1",
        seq=1,
        occurred_ms=1,
        payload={"recipient": "ada@example.com"},
    )
    push = {
        "message": {
            "data": base64.b64encode(envelope.model_dump_json().encode()).decode(),
            "attributes": envelope.attributes(),
        }
    }
    with pytest.raises(Contended):
        consume(push, "render", contended)
