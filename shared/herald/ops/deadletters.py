"""Dead letters: list what each consumer gave up on, and redrive it after a fix.

Every push subscription dead-letters to its own topic, kept by a pull
subscription of the same name (see the event registry). Redriving publishes the
event again to its original topic, with its attributes (so its event id), and
only then acks the dead letter: a crash in between redrives it twice, which
every consumer dedupes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from herald.events.registry import EVENTS, EventSpec

PULL_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class DeadLetter:
    subscription: str  # the dead-letter subscription holding it
    consumer: str
    event_type: str
    event_id: str
    message_id: str
    attempts: int | None
    ack_id: str
    data: bytes
    attributes: dict[str, str]


class DeadLetters:
    def __init__(
        self,
        project: str,
        subscriber: pubsub_v1.SubscriberClient | None = None,
        publisher: pubsub_v1.PublisherClient | None = None,
        pull_timeout_s: float = PULL_TIMEOUT_S,
    ) -> None:
        self.project = project
        self.pull_timeout_s = pull_timeout_s
        self.subscriber = subscriber or pubsub_v1.SubscriberClient()
        self.publisher = publisher or pubsub_v1.PublisherClient()

    def _queues(self, consumer: str | None) -> Iterator[tuple[EventSpec, str]]:
        for spec in EVENTS:
            for name in spec.consumers:
                if consumer in (None, name):
                    yield spec, name

    def _pull(self, spec: EventSpec, consumer: str, limit: int) -> list[DeadLetter]:
        subscription = self.subscriber.subscription_path(
            self.project, spec.dead_letter_topic(consumer)
        )
        response = self.subscriber.pull(
            subscription=subscription, max_messages=limit, timeout=self.pull_timeout_s
        )
        letters = []
        for received in response.received_messages:
            attributes = dict(received.message.attributes)
            letters.append(
                DeadLetter(
                    subscription=subscription,
                    consumer=consumer,
                    event_type=spec.name,
                    event_id=attributes.get("event_id", ""),
                    message_id=attributes.get("message_id", ""),
                    attempts=received.delivery_attempt or None,
                    ack_id=received.ack_id,
                    data=bytes(received.message.data),
                    attributes=attributes,
                )
            )
        return letters

    def peek(self, consumer: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """What is dead-lettered, left in place (the pulled letters are released at once)."""
        found = []
        for spec, name in self._queues(consumer):
            letters = self._pull(spec, name, limit)
            if letters:
                self.subscriber.modify_ack_deadline(
                    subscription=letters[0].subscription,
                    ack_ids=[letter.ack_id for letter in letters],
                    ack_deadline_seconds=0,
                )
            found.extend(letters)
        return found

    def redrive(self, consumer: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """Publishes each dead letter to its original topic again, then acks it."""
        redriven = []
        for spec, name in self._queues(consumer):
            letters = self._pull(spec, name, limit)
            for letter in letters:
                topic = self.publisher.topic_path(self.project, spec.topic)
                self.publisher.publish(topic, letter.data, **letter.attributes).result(timeout=30)
            if letters:
                self.subscriber.acknowledge(
                    subscription=letters[0].subscription,
                    ack_ids=[letter.ack_id for letter in letters],
                )
            redriven.extend(letters)
        return redriven


def describe(letter: DeadLetter) -> str:
    try:
        seq = json.loads(letter.data).get("seq")
    except ValueError:
        seq = None
    attempts = letter.attempts if letter.attempts is not None else "?"
    return (
        f"{letter.consumer:<8}{letter.event_type:<24}{letter.event_id}"
        f"  (seq {seq}, {attempts} attempts)"
    )
