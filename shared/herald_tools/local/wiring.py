"""Topics, push subscriptions and dead-letter topics, built from the event registry."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

from google.api_core import exceptions
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from herald.events.registry import EVENTS, subscription_filter


@dataclass(frozen=True)
class RetrySettings:
    # No retry policy is set on the emulator, unlike production's 10 s to 600 s backoff:
    # the Pub/Sub emulator (0.8.20) drops a push that failed (refused or 5xx) on a
    # subscription with one, neither redelivered nor dead-lettered. Without one it pushes
    # a failed message again within seconds; this is the bound the sweep assumes.
    maximum_backoff_s: int = 10
    # Above deliver's own budget (tries per channel x channels): deliver, not the
    # dead-letter topic, ends a message that keeps failing.
    max_delivery_attempts: int = 100
    ack_deadline_s: int = 60


def push_endpoint(base_url: str, project: str, topic: str) -> str:
    # functions-framework takes the CloudEvent source (the topic) from this path.
    return f"{base_url}/projects/{project}/topics/{topic}"


def wire_pubsub(
    project: str,
    consumer_urls: Mapping[str, str],
    retry: RetrySettings = RetrySettings(),
) -> list[str]:
    """Creates every topic and subscription the registry names; returns the subscriptions."""
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    created = []

    def ensure_topic(topic: str) -> str:
        path: str = publisher.topic_path(project, topic)
        with contextlib.suppress(exceptions.AlreadyExists):
            publisher.create_topic(name=path)
        return path

    def ensure_subscription(request: dict[str, object]) -> None:
        with contextlib.suppress(exceptions.AlreadyExists):
            subscriber.create_subscription(request=request)

    for spec in EVENTS:
        topic_path = ensure_topic(spec.topic)
        for consumer in spec.consumers:
            dead_letter_path = ensure_topic(spec.dead_letter_topic(consumer))
            # Dead letters are kept for inspection and replay, not pushed anywhere.
            ensure_subscription(
                {
                    "name": subscriber.subscription_path(project, spec.dead_letter_topic(consumer)),
                    "topic": dead_letter_path,
                }
            )
            name = subscriber.subscription_path(project, spec.subscription(consumer))
            wanted = subscription_filter(consumer)
            endpoint = push_endpoint(consumer_urls[consumer], project, spec.topic)
            request = push_subscription(name, topic_path, endpoint, dead_letter_path, retry)
            # Ignored by the emulator: the local stack's push filter applies it.
            ensure_subscription({**request, **({"filter": wanted.expression} if wanted else {})})
            created.append(name)
    return created


def push_subscription(
    name: str, topic: str, endpoint: str, dead_letter_topic: str, retry: RetrySettings
) -> dict[str, object]:
    """A consumer's push subscription on the emulator: dead letters as in production, and
    no retry policy (see RetrySettings: the emulator loses failed pushes under one)."""
    return {
        "name": name,
        "topic": topic,
        "push_config": {"push_endpoint": endpoint},
        "ack_deadline_seconds": retry.ack_deadline_s,
        "dead_letter_policy": {
            "dead_letter_topic": dead_letter_topic,
            "max_delivery_attempts": retry.max_delivery_attempts,
        },
    }
