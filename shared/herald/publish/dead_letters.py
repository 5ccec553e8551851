"""Dead letters: what each consumer gave up on, listed in place, and redriven after a fix.

Every push subscription dead-letters to its own topic, kept by a pull
subscription of the same name (see the event registry). Redriving publishes the
event again to its original topic, with its attributes (so its event id and its
trace), and only then acks the dead letter: a crash in between redrives it twice,
which every consumer dedupes.

There are a few dozen of these subscriptions, nearly always empty, and a pull
waits for messages until its deadline: each is pulled once, with a short
deadline, all at the same time, so a look at the whole topology takes about one
deadline rather than one per subscription.

The subscriptions are the deployment's, shared by every workspace: a look for one
workspace pulls each subscription's first ``limit`` letters and keeps its own; the
others are released at once, untouched. ``herald replay`` looks at every workspace;
the console at its signed-in one only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from herald.events.registry import EVENTS, EventSpec, spec_for

if TYPE_CHECKING:
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

# How long a pull may wait for a message: an empty subscription answers by then.
PULL_DEADLINE_S = 2.0
MAX_PARALLEL_PULLS = 32
# The most letters of one subscription looked at (or redriven) at once.
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


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

    @property
    def workspace(self) -> str:
        return self.attributes.get("workspace", "")


def queues(consumer: str | None = None) -> list[tuple[EventSpec, str]]:
    """Each (event, consumer) with a dead-letter subscription, of one consumer or all."""
    return [(spec, name) for spec in EVENTS for name in spec.consumers if consumer in (None, name)]


def consumers() -> list[str]:
    """Every consumer that has dead-letter subscriptions, by name."""
    return sorted({name for _, name in queues()})


class DeadLetterSource(Protocol):
    """The dead-letter subscriptions: pulled, released, acknowledged; the original topics."""

    def pull(self, spec: EventSpec, consumer: str, limit: int) -> list[DeadLetter]: ...

    def release(self, letters: Sequence[DeadLetter]) -> None:
        """Leaves them in place, to be pulled again at once (one subscription's)."""
        ...

    def acknowledge(self, letters: Sequence[DeadLetter]) -> None:
        """Takes them off their subscription for good (one subscription's)."""
        ...

    def republish(self, letter: DeadLetter) -> None:
        """Publishes the letter to its event's topic, with its attributes, and waits."""
        ...


class DeadLetters:
    """Listing and redriving over a source: what ``herald replay`` and the console use."""

    def __init__(self, source: DeadLetterSource) -> None:
        self.source = source

    def _pull_all(self, consumer: str | None, limit: int) -> list[list[DeadLetter]]:
        """One pull per dead-letter subscription, all at once; in ``queues`` order."""
        chosen = queues(consumer)
        if not chosen:
            return []
        limit = max(1, min(limit, MAX_LIMIT))
        with ThreadPoolExecutor(min(len(chosen), MAX_PARALLEL_PULLS)) as pool:
            return list(pool.map(lambda q: self.source.pull(q[0], q[1], limit), chosen))

    def peek(
        self, consumer: str | None = None, limit: int = DEFAULT_LIMIT, workspace: str | None = None
    ) -> list[DeadLetter]:
        """What is dead-lettered (of one workspace, or all), left in place."""
        found: list[DeadLetter] = []
        for letters in self._pull_all(consumer, limit):
            if letters:
                self.source.release(letters)
            found.extend(letter for letter in letters if workspace in (None, letter.workspace))
        return found

    def redrive(
        self,
        consumer: str | None = None,
        limit: int = DEFAULT_LIMIT,
        workspace: str | None = None,
        event_ids: Collection[str] | None = None,
    ) -> list[DeadLetter]:
        """Publishes each dead letter (of one workspace, and of ``event_ids`` if given: what a
        preview showed) to its original topic again, then acks it; the rest stay."""
        redriven: list[DeadLetter] = []
        for letters in self._pull_all(consumer, limit):
            chosen = [
                letter
                for letter in letters
                if workspace in (None, letter.workspace)
                and (event_ids is None or letter.event_id in event_ids)
            ]
            others = [letter for letter in letters if letter not in chosen]
            for letter in chosen:
                self.source.republish(letter)
            if chosen:
                self.source.acknowledge(chosen)
            if others:
                self.source.release(others)
            redriven.extend(chosen)
        return redriven


class PubSubDeadLetters:
    """The dead-letter subscriptions on Pub/Sub (or its emulator)."""

    def __init__(
        self,
        project: str,
        subscriber: pubsub_v1.SubscriberClient | None = None,
        publisher: pubsub_v1.PublisherClient | None = None,
        pull_deadline_s: float = PULL_DEADLINE_S,
    ) -> None:
        from google.cloud import pubsub_v1  # type: ignore[attr-defined]

        self.project = project
        self.pull_deadline_s = pull_deadline_s
        self.subscriber = subscriber or pubsub_v1.SubscriberClient()
        self.publisher = publisher or pubsub_v1.PublisherClient()

    def pull(self, spec: EventSpec, consumer: str, limit: int) -> list[DeadLetter]:
        from google.api_core import exceptions

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

    def release(self, letters: Sequence[DeadLetter]) -> None:
        self.subscriber.modify_ack_deadline(
            subscription=letters[0].subscription,
            ack_ids=[letter.ack_id for letter in letters],
            ack_deadline_seconds=0,
        )

    def acknowledge(self, letters: Sequence[DeadLetter]) -> None:
        self.subscriber.acknowledge(
            subscription=letters[0].subscription, ack_ids=[letter.ack_id for letter in letters]
        )

    def republish(self, letter: DeadLetter) -> None:
        topic = self.publisher.topic_path(self.project, spec_for(letter.event_type).topic)
        self.publisher.publish(topic, letter.data, **letter.attributes).result(timeout=30)


@dataclass
class InMemoryDeadLetters:
    """The unit tests' dead-letter subscriptions: letters kept by subscription, what is
    republished kept in order."""

    held: dict[str, list[DeadLetter]] = field(default_factory=dict)
    republished: list[DeadLetter] = field(default_factory=list)
    pulls: int = 0

    def add(self, consumer: str, envelope: Any) -> DeadLetter:
        """Dead-letters an event (an ``EventEnvelope``) for a consumer, as Pub/Sub would."""
        spec = spec_for(envelope.type)
        subscription = spec.dead_letter_topic(consumer)
        letter = DeadLetter(
            subscription=subscription,
            consumer=consumer,
            event_type=spec.name,
            event_id=envelope.id,
            message_id=envelope.message_id,
            attempts=5,
            ack_id=f"ack-{envelope.id}-{consumer}",
            data=envelope.model_dump_json().encode(),
            attributes=envelope.attributes(),
        )
        self.held.setdefault(subscription, []).append(letter)
        return letter

    def pull(self, spec: EventSpec, consumer: str, limit: int) -> list[DeadLetter]:
        self.pulls += 1
        return list(self.held.get(spec.dead_letter_topic(consumer), [])[:limit])

    def release(self, letters: Sequence[DeadLetter]) -> None:
        pass  # never taken off

    def acknowledge(self, letters: Sequence[DeadLetter]) -> None:
        gone = {letter.ack_id for letter in letters}
        kept = self.held.get(letters[0].subscription, [])
        self.held[letters[0].subscription] = [
            letter for letter in kept if letter.ack_id not in gone
        ]

    def republish(self, letter: DeadLetter) -> None:
        self.republished.append(letter)
