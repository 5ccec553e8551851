import json

from herald.events.envelope import EventEnvelope
from herald.publish.memory import InMemoryPublisher
from herald.services.relaying import RelayService
from herald.store.firestore import outbox_document
from herald.store.memory import InMemoryMessages

ENVELOPE = EventEnvelope(
    id="ws:m1:1",
    type="message.enqueued",
    version=1,
    workspace="ws",
    message_id="m1",
    request_id="r1",
    seq=1,
    occurred_ms=1,
    payload={"recipient": "a@example.com"},
)


def relay() -> tuple[RelayService, InMemoryPublisher, InMemoryMessages]:
    publisher, messages = InMemoryPublisher(), InMemoryMessages()
    return RelayService(messages, publisher), publisher, messages


def test_a_created_outbox_record_is_published_to_its_topic_with_its_event_id() -> None:
    service, publisher, messages = relay()
    assert service.handle_write(None, outbox_document(ENVELOPE))
    [published] = publisher.messages
    assert published.topic == "herald-message-enqueued"
    assert published.attributes["event_id"] == "ws:m1:1"
    assert EventEnvelope.model_validate(json.loads(published.data)) == ENVELOPE
    assert "ws:m1:1" in messages.published


def test_updates_and_deletes_of_outbox_records_publish_nothing() -> None:
    service, publisher, _ = relay()
    document = outbox_document(ENVELOPE)
    assert not service.handle_write(document, {**document, "published_ms": 5})
    assert not service.handle_write(document, document)  # the emulator's no-op write trigger
    assert not service.handle_write(document, None)
    assert publisher.messages == []
