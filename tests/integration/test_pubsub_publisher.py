import uuid

import pytest
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

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
