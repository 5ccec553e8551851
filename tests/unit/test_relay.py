import json

from herald.events.envelope import EventEnvelope
from herald.pipeline.relaying import RelayService
from herald.publish.memory import InMemoryPublisher
from herald.store.firestore import outbox_document
from herald.store.memory import InMemoryMessages
from tests.contract.store import create, new_message


def relay() -> tuple[RelayService, InMemoryPublisher, InMemoryMessages, EventEnvelope]:
    publisher, messages = InMemoryPublisher(), InMemoryMessages()
    create(messages, new_message("ws"))
    return RelayService(messages, publisher), publisher, messages, messages.outbox[0]


def test_a_created_outbox_record_is_published_to_its_topic_with_its_event_id() -> None:
    service, publisher, messages, envelope = relay()
    assert service.handle_write(None, outbox_document(envelope))
    [published] = publisher.messages
    assert published.topic == "herald-message-enqueued"
    assert published.attributes["event_id"] == envelope.id
    assert EventEnvelope.model_validate(json.loads(published.data)) == envelope
    assert envelope.id in messages.published


def test_updates_and_deletes_of_outbox_records_publish_nothing() -> None:
    service, publisher, _, envelope = relay()
    document = outbox_document(envelope)
    assert not service.handle_write(document, {**document, "published_ms": 5})
    assert not service.handle_write(document, document)  # the emulator's no-op write trigger
    assert not service.handle_write(document, None)
    assert publisher.messages == []
