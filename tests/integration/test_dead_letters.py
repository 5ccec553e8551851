"""Dead letters listed in place and redriven to their original topic, on the emulator."""

import threading
import uuid
from typing import Any

import pytest
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from herald.events.envelope import EventEnvelope
from herald.events.registry import EVENTS, spec_for
from herald.publish.dead_letters import (
    PULL_DEADLINE_S,
    DeadLetters,
    PubSubDeadLetters,
    consumers,
    queues,
)
from herald.topology import FUNCTIONS, Trigger
from herald_tools.local.emulators import Emulators
from herald_tools.local.wiring import wire_pubsub
from herald_tools.ops.deadletters import counts
from tests.conftest import eventually

pytestmark = pytest.mark.integration


def test_a_dead_letter_is_listed_then_redriven_once(emulators: Emulators) -> None:
    project = emulators.project
    # Every consumer the registry names gets a subscription: none of them listens here.
    wire_pubsub(
        project, {f.name: "http://127.0.0.1:9" for f in FUNCTIONS if f.trigger == Trigger.PUBSUB}
    )
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    spec = spec_for("message.rendered")
    # A pull subscription on the original topic shows what a redrive publishes.
    watch = subscriber.subscription_path(project, f"watch-{uuid.uuid4().hex[:8]}")
    subscriber.create_subscription(name=watch, topic=publisher.topic_path(project, spec.topic))
    envelope = EventEnvelope(
        id=f"ws:{uuid.uuid4().hex}:3",
        type=spec.name,
        version=1,
        workspace="ws",
        message_id="m",
        request_id="r",
        seq=3,
        occurred_ms=1,
        payload={"channels": ["email"]},
    )
    dead_letter_topic = publisher.topic_path(project, spec.dead_letter_topic("deliver"))
    publisher.publish(
        dead_letter_topic, envelope.model_dump_json().encode(), **envelope.attributes()
    ).result()

    letters = DeadLetters(PubSubDeadLetters(project))
    listed = eventually(lambda: letters.peek("deliver"), what="the dead letter")
    assert [(d.event_id, d.consumer) for d in listed] == [(envelope.id, "deliver")]
    assert [d.event_id for d in eventually(lambda: letters.peek("deliver"))] == [envelope.id]

    redriven = eventually(lambda: letters.redrive("deliver"), what="the redrive")
    assert [d.event_id for d in redriven] == [envelope.id]
    received = eventually(
        lambda: subscriber.pull(subscription=watch, max_messages=10, timeout=5).received_messages,
        what="the redriven event on its topic",
    )
    assert [r.message.attributes["event_id"] for r in received] == [envelope.id]
    assert EventEnvelope.model_validate_json(received[0].message.data) == envelope
    assert letters.peek("deliver") == []


class WatchedSubscriber:
    """The real subscriber, each pull recorded and held until every pull has begun."""

    def __init__(self, pulls_expected: int) -> None:
        self.client = pubsub_v1.SubscriberClient()
        self.pulls: list[dict[str, Any]] = []
        self.all_pulling = threading.Barrier(pulls_expected)

    def pull(self, **request: Any) -> Any:
        self.pulls.append(request)
        self.all_pulling.wait(timeout=30)  # broken if the pulls ran one after another
        return self.client.pull(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_listing_pulls_every_dead_letter_subscription_once_all_at_once_with_a_short_deadline(
    emulators: Emulators,
) -> None:
    project = emulators.project
    wire_pubsub(
        project, {f.name: "http://127.0.0.1:9" for f in FUNCTIONS if f.trigger == Trigger.PUBSUB}
    )
    publisher = pubsub_v1.PublisherClient()
    spec = spec_for("message.sent")
    event_id = f"ws:{uuid.uuid4().hex}:4"
    publisher.publish(
        publisher.topic_path(project, spec.dead_letter_topic("webhooks")),
        b"{}",
        event_id=event_id,
        message_id="m",
    ).result()
    every = queues()
    subscriber = WatchedSubscriber(len(every))
    dead_letters = DeadLetters(PubSubDeadLetters(project, subscriber=subscriber))

    letters = dead_letters.peek()

    # No pull waits longer than the short deadline, and each subscription is pulled once.
    assert len(subscriber.pulls) == len(every) > 10
    assert all(0 < pull["timeout"] <= PULL_DEADLINE_S for pull in subscriber.pulls)
    assert sorted(pull["subscription"] for pull in subscriber.pulls) == sorted(
        subscriber.client.subscription_path(project, s.dead_letter_topic(c)) for s, c in every
    )
    mine = [letter for letter in letters if letter.event_id == event_id]
    assert [(d.consumer, d.event_type) for d in mine] == [("webhooks", "message.sent")]
    per_consumer = counts(mine, [consumer for _, consumer in every])
    # Every consumer of the registry is named, with a zero where it has no letter.
    registered = {consumer for spec in EVENTS for consumer in spec.consumers}
    assert set(consumers()) == registered
    assert per_consumer == {**dict.fromkeys(registered, 0), "webhooks": 1}
    DeadLetters(PubSubDeadLetters(project)).redrive(
        "webhooks"
    )  # leaves the emulator clean for other tests


def test_one_workspaces_letters_are_listed_and_redriven_the_others_left_in_place(
    emulators: Emulators,
) -> None:
    project = emulators.project
    wire_pubsub(
        project, {f.name: "http://127.0.0.1:9" for f in FUNCTIONS if f.trigger == Trigger.PUBSUB}
    )
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    spec = spec_for("message.sent")
    watch = subscriber.subscription_path(project, f"watch-{uuid.uuid4().hex[:8]}")
    subscriber.create_subscription(name=watch, topic=publisher.topic_path(project, spec.topic))
    run = uuid.uuid4().hex[:8]
    ids = {ws: f"{ws}-{run}:m:4" for ws in ("ws-a", "ws-b")}
    for ws, event_id in ids.items():
        publisher.publish(
            publisher.topic_path(project, spec.dead_letter_topic("webhooks")),
            b"{}",
            event_id=event_id,
            message_id=f"m-{ws}",
            workspace=ws,
        ).result()
    letters = DeadLetters(PubSubDeadLetters(project))

    def listed(workspace: str | None) -> list[str]:
        return sorted(d.event_id for d in letters.peek("webhooks", workspace=workspace))

    eventually(lambda: listed(None) == sorted(ids.values()), what="both dead letters")
    assert listed("ws-a") == [ids["ws-a"]]

    redriven = letters.redrive("webhooks", workspace="ws-a", event_ids={ids["ws-a"]})
    assert [d.event_id for d in redriven] == [ids["ws-a"]]
    received = eventually(
        lambda: subscriber.pull(subscription=watch, max_messages=10, timeout=5).received_messages,
        what="the redriven event on its topic",
    )
    assert [r.message.attributes["event_id"] for r in received] == [ids["ws-a"]]
    # The other workspace's letter was released, not taken: it is there at once.
    assert listed(None) == [ids["ws-b"]]
    letters.redrive("webhooks")  # leaves the emulator clean for other tests
