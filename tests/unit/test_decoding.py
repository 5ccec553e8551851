"""What arrives at the functions: Eventarc Firestore events and Pub/Sub pushes."""

import base64

import pytest
from google.events.cloud import firestore as fs

from herald.entrypoints import firestore, pubsub
from herald.errors import UndecodableEvent
from herald.events.envelope import EventEnvelope
from herald_tools.local.router import eventarc_request

NAME = "projects/p/databases/(default)/documents/workspaces/ws/messages/m/events/00000001"


def document_event(old: bool) -> bytes:
    document = fs.Document(
        name=NAME,
        fields={
            "type": fs.Value(string_value="message.enqueued"),
            "seq": fs.Value(integer_value=1),
            "payload": fs.Value(
                map_value=fs.MapValue(
                    fields={
                        "tags": fs.Value(
                            array_value=fs.ArrayValue(
                                values=[fs.Value(string_value="a"), fs.Value(boolean_value=True)]
                            )
                        )
                    }
                )
            ),
            "published_ms": fs.Value(null_value=0),
        },
    )
    event = fs.DocumentEventData(value=document, old_value=document if old else None)
    return bytes(fs.DocumentEventData.serialize(event))


def test_a_create_decodes_to_no_before_and_plain_values_after() -> None:
    before, after = firestore.decode(document_event(old=False))
    assert before is None
    assert after == {
        "type": "message.enqueued",
        "seq": 1,
        "payload": {"tags": ["a", True]},
        "published_ms": None,
    }


def test_an_update_has_both_sides() -> None:
    before, after = firestore.decode(document_event(old=True))
    assert before is not None and after is not None


def test_garbage_is_undecodable() -> None:
    with pytest.raises(UndecodableEvent):
        firestore.decode({"not": "bytes"})


def test_the_router_turns_the_emulators_post_into_eventarcs() -> None:
    raw = document_event(old=False)
    headers, body = eventarc_request(
        {
            "ce-source": "//firestore.googleapis.com/projects/projects/p/databases/(default)",
            "ce-type": "google.cloud.firestore.document.v1.written",
            "Content-Type": "application/protobuf",
            "User-Agent": "Java",
        },
        base64.b64encode(raw),
    )
    assert body == raw
    assert headers["ce-source"] == "//firestore.googleapis.com/projects/p/databases/(default)"
    assert headers["content-type"] == "application/protobuf"
    assert "user-agent" not in headers


ENVELOPE = EventEnvelope(
    id="ws:m:2",
    type="message.rendered",
    version=1,
    workspace="ws",
    message_id="m",
    request_id="r",
    seq=2,
    occurred_ms=1,
    payload={"channels": ["email"]},
)


def push(envelope: EventEnvelope, event_id: str | None = None) -> dict[str, object]:
    return {
        "message": {
            "data": base64.b64encode(envelope.model_dump_json().encode()).decode(),
            "attributes": {**envelope.attributes(), "event_id": event_id or envelope.id},
            "messageId": "1",
        },
        "subscription": "projects/p/subscriptions/s",
    }


def test_a_push_body_decodes_to_its_envelope() -> None:
    envelope, attributes = pubsub.decode(push(ENVELOPE))
    assert envelope == ENVELOPE
    assert attributes["event_id"] == ENVELOPE.id


def test_consume_acks_what_it_cannot_process_and_calls_the_handler_otherwise() -> None:
    handled: list[EventEnvelope] = []
    pubsub.consume(push(ENVELOPE, event_id="other"), "deliver", handled.append)
    pubsub.consume({"message": {"data": "!!"}}, "deliver", handled.append)
    pubsub.consume(push(ENVELOPE), "render", handled.append)  # render does not consume it
    assert handled == []
    pubsub.consume(push(ENVELOPE), "deliver", handled.append)
    assert handled == [ENVELOPE]


def test_handler_errors_propagate_so_the_push_is_retried() -> None:
    def failing(event: EventEnvelope) -> None:
        raise RuntimeError("transient")

    with pytest.raises(RuntimeError):
        pubsub.consume(push(ENVELOPE), "deliver", failing)
