"""Dead letters: list what each consumer gave up on, and redrive it after a fix.

Every push subscription dead-letters to its own topic, kept by a pull
subscription of the same name (see the event registry). Redriving publishes the
event again to its original topic, with its attributes (so its event id), and
only then acks the dead letter: a crash in between redrives it twice, which
every consumer dedupes.

There are a few dozen of these subscriptions, nearly always empty, and a pull
waits for messages until its deadline: each is pulled once, with a short
deadline, all at the same time, so a look at the whole topology takes about one
deadline rather than one per subscription.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from google.api_core import exceptions
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from herald.events.registry import EVENTS, EventSpec, spec_for

# How long a pull may wait for a message: an empty subscription answers by then.
PULL_DEADLINE_S = 2.0
MAX_PARALLEL_PULLS = 32


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
        pull_deadline_s: float = PULL_DEADLINE_S,
    ) -> None:
        self.project = project
        self.pull_deadline_s = pull_deadline_s
        self.subscriber = subscriber or pubsub_v1.SubscriberClient()
        self.publisher = publisher or pubsub_v1.PublisherClient()

    def queues(self, consumer: str | None = None) -> list[tuple[EventSpec, str]]:
        """Each (event, consumer) with a dead-letter subscription, of one consumer or all."""
        return [
            (spec, name) for spec in EVENTS for name in spec.consumers if consumer in (None, name)
        ]

    def _pull(self, spec: EventSpec, consumer: str, limit: int) -> list[DeadLetter]:
        subscription = self.subscriber.subscription_path(
            self.project, spec.dead_letter_topic(consumer)
        )
        try:
            response = self.subscriber.pull(
                subscription=subscription, max_messages=limit, timeout=self.pull_deadline_s
            )
        except exceptions.DeadlineExceeded:
            return []  # nothing arrived before the deadline
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

    def _pull_all(self, consumer: str | None, limit: int) -> list[list[DeadLetter]]:
        """One pull per dead-letter subscription, all at once; in ``queues`` order."""
        queues = self.queues(consumer)
        if not queues:
            return []
        with ThreadPoolExecutor(min(len(queues), MAX_PARALLEL_PULLS)) as pool:
            return list(pool.map(lambda queue: self._pull(queue[0], queue[1], limit), queues))

    def peek(self, consumer: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """What is dead-lettered, left in place (the pulled letters are released at once)."""
        found = []
        for letters in self._pull_all(consumer, limit):
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
        for letters in self._pull_all(consumer, limit):
            for letter in letters:
                topic = self.publisher.topic_path(self.project, spec_for(letter.event_type).topic)
                self.publisher.publish(topic, letter.data, **letter.attributes).result(timeout=30)
            if letters:
                self.subscriber.acknowledge(
                    subscription=letters[0].subscription,
                    ack_ids=[letter.ack_id for letter in letters],
                )
            redriven.extend(letters)
        return redriven


def counts(letters: Iterable[DeadLetter], consumers: Iterable[str]) -> dict[str, int]:
    """Dead letters per consumer, every consumer named (zero included), by name."""
    found = dict.fromkeys(sorted(set(consumers)), 0)
    for letter in letters:
        found[letter.consumer] = found.get(letter.consumer, 0) + 1
    return found


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
