"""Each change of a user's preference for a topic, as Courier's preference change log
records it: appended, never changed, at ``preference_logs/{id}`` (ids newest first),
in the batch that makes the change."""

from __future__ import annotations

import time
from typing import Any

from herald.domain.audience import SubscriptionTopic, UserTopicChoice
from herald.ids import newest_first_id

PREFERENCE_LOG = ("preference_logs",)


def _value(choice: UserTopicChoice) -> dict[str, Any]:
    return {
        "status": choice.status,
        "has_custom_routing": choice.has_custom_routing,
        "custom_routing": list(choice.custom_routing) if choice.has_custom_routing else [],
    }


def forgotten(topic: SubscriptionTopic | None) -> UserTopicChoice:
    """What a user gets once their choice is forgotten: the topic's default."""
    return UserTopicChoice(status=topic.default_status if topic else "OPTED_IN")


def change_entry(
    user_id: str,
    topic_id: str,
    topic: SubscriptionTopic | None,
    choice: UserTopicChoice,
    previous: UserTopicChoice | None,
) -> tuple[tuple[str, str], dict[str, Any]]:
    """The log entry of ``user_id``'s choice for the topic becoming ``choice``, and where it
    goes; ``previous`` is the choice it replaces (None: the user had made none)."""
    at_ns = time.time_ns()
    entry = {
        "user_id": user_id,
        "topic_id": topic_id,
        "topic_name": (topic.topic_name if topic else "") or topic_id,
        **_value(choice),
        "previous": _value(previous) if previous is not None else None,
        "at_ms": at_ns // 1_000_000,
    }
    return (PREFERENCE_LOG[0], newest_first_id(at_ns)), entry
