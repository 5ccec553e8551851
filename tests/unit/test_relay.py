import json

from herald.events.envelope import EventEnvelope
from herald.pipeline.relaying import RelayService
from herald.publish.memory import InMemoryPublisher
from herald.store.firestore import outbox_document
from herald.store.memory import InMemoryMessages
from tests.contract.store import create, new_message, route


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


def test_an_event_no_function_consumes_is_written_published_and_never_relayed() -> None:
    service, publisher, messages, enqueued = relay()
    messages.transition("ws", enqueued.message_id, "render", enqueued.id, route)
    routed = next(e for e in messages.outbox if e.type == "message.routed")
    document = outbox_document(routed)
    assert document["published_ms"] == routed.occurred_ms  # history only: the sweeper skips it
    assert routed.id in messages.published  # ... in memory as on Firestore
    assert outbox_document(enqueued)["published_ms"] is None
    assert not service.handle_write(None, document)
    assert publisher.messages == []


def test_the_relay_adds_the_attributes_subscriptions_filter_on() -> None:
    publisher, messages = InMemoryPublisher(), InMemoryMessages()
    create(messages, new_message("ws"))
    seen: list[str] = []

    def attributes(envelope: EventEnvelope) -> dict[str, str]:
        seen.append(envelope.id)
        return {"webhook_endpoints": "none"}

    service = RelayService(messages, publisher, attributes=attributes)
    [envelope] = messages.outbox
    assert service.handle_write(None, outbox_document(envelope))
    [published] = publisher.messages
    assert published.attributes["webhook_endpoints"] == "none"
    assert published.attributes["event_id"] == envelope.id
    assert seen == [envelope.id]
