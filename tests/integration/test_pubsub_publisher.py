import uuid

import pytest
from google.cloud import pubsub_v1  # type: ignore[attr-defined]
from opentelemetry import trace

from herald.publish.pubsub import PubSubPublisher
from herald_tools.local.emulators import Emulators
from tests.conftest import eventually

pytestmark = pytest.mark.integration


def test_publish_waits_for_the_server_and_carries_the_attributes(emulators: Emulators) -> None:
    project, topic = emulators.project, "it-" + uuid.uuid4().hex
    admin, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    admin.create_topic(name=admin.topic_path(project, topic))
    subscription = subscriber.subscription_path(project, topic + "-pull")
    subscriber.create_subscription(name=subscription, topic=admin.topic_path(project, topic))

    message_id = PubSubPublisher(project).publish(topic, b'{"a":1}', {"event_id": "ws:m:1"})

    [received] = eventually(
        lambda: (
            subscriber.pull(subscription=subscription, max_messages=10, timeout=5).received_messages
        ),
        what="the published message",
    )
    assert received.message.message_id == message_id
    assert received.message.data == b'{"a":1}'
    assert received.message.attributes["event_id"] == "ws:m:1"


def test_the_message_carries_the_trace_of_its_create_span(emulators: Emulators) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from herald.observability import tracing

    project, topic = emulators.project, "it-" + uuid.uuid4().hex
    admin, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    admin.create_topic(name=admin.topic_path(project, topic))
    subscription = subscriber.subscription_path(project, topic + "-pull")
    subscriber.create_subscription(name=subscription, topic=admin.topic_path(project, topic))
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracing, "tracer", lambda: provider.get_tracer("test"))
        with provider.get_tracer("test").start_as_current_span("outbox relay"):
            message_id = PubSubPublisher(project).publish(topic, b"{}", {"event_id": "e"})

    [received] = eventually(
        lambda: (
            subscriber.pull(subscription=subscription, max_messages=10, timeout=5).received_messages
        ),
        what="the published message",
    )
    [create, relay] = spans.get_finished_spans()
    assert (create.name, create.kind.name) == (f"{topic} create", "PRODUCER")
    assert create.attributes is not None and create.attributes["messaging.message.id"] == message_id
    assert create.parent is not None and create.parent.span_id == relay.context.span_id
    # A push consumer continues the create span's trace, as from the client library's.
    carried = tracing.context_from_pubsub(dict(received.message.attributes))
    continued = trace.get_current_span(carried).get_span_context()
    assert (continued.trace_id, continued.span_id) == (
        create.context.trace_id,
        create.context.span_id,
    )
