"""Subscription topics and each user's choices about them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from herald.domain.audience import SubscriptionTopic, UserTopicChoice, address_key, topic_view
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import page_of, paging, parse_body
from herald.store.documents import DocumentStore


class ChoiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: UserTopicChoice


def topic_path(topic_id: str) -> tuple[str, str]:
    return ("topics", topic_id)


def choice_path(user_id: str, topic_id: str) -> tuple[str, str, str, str]:
    return ("profiles", user_id, "preferences", topic_id)


def address_choice_path(address: str, topic_id: str) -> tuple[str, str, str, str]:
    """Where an email-only recipient's choice lives (one who unsubscribed from a link)."""
    return ("addresses", address_key(address), "preferences", topic_id)


class PreferenceService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    # The workspace's topics (Herald's API; Courier manages them in its web editor).
    def put_topic(self, workspace: str, topic_id: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValidationFailed.of("body", "must be a JSON object")
        topic = parse_body(SubscriptionTopic, {**body, "topic_id": topic_id})
        self.documents.put(workspace, topic_path(topic_id), topic.model_dump(mode="json"))
        return topic.model_dump(mode="json")

    def topic(self, workspace: str, topic_id: str) -> SubscriptionTopic | None:
        stored = self.documents.get(workspace, topic_path(topic_id))
        return SubscriptionTopic.model_validate(stored) if stored else None

    def get_topic(self, workspace: str, topic_id: str) -> dict[str, Any]:
        topic = self.topic(workspace, topic_id)
        if topic is None:
            raise NotFound(f"no topic {topic_id}")
        return topic.model_dump(mode="json")

    def topics(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        return page_of(self.documents, workspace, ("topics",), cursor, "items")

    def delete_topic(self, workspace: str, topic_id: str) -> None:
        if not self.documents.delete(workspace, topic_path(topic_id)):
            raise NotFound(f"no topic {topic_id}")

    # A user's choices (Courier's /users/{user_id}/preferences).
    def choice(self, workspace: str, user_id: str, topic_id: str) -> UserTopicChoice | None:
        stored = self.documents.get(workspace, choice_path(user_id, topic_id))
        return UserTopicChoice.model_validate(stored) if stored else None

    def get_choice(self, workspace: str, user_id: str, topic_id: str) -> dict[str, Any]:
        topic = self.topic(workspace, topic_id)
        choice = self.choice(workspace, user_id, topic_id)
        if topic is None and choice is None:
            raise NotFound(f"no topic {topic_id}")
        return {"topic": topic_view(topic_id, topic, choice)}

    def all_choices(self, workspace: str, user_id: str) -> dict[str, Any]:
        """Every topic of the workspace, with the user's choice where they made one."""
        choices = {
            topic_id: UserTopicChoice.model_validate(doc)
            for topic_id, doc in self.documents.page(
                workspace, ("profiles", user_id, "preferences"), None, 1000
            )
        }
        topics = {
            topic_id: SubscriptionTopic.model_validate(doc)
            for topic_id, doc in self.documents.page(workspace, ("topics",), None, 1000)
        }
        items = [
            topic_view(topic_id, topics.get(topic_id), choices.get(topic_id))
            for topic_id in sorted(topics.keys() | choices.keys())
        ]
        return {"items": items, "paging": paging(None)}

    def put_choice(self, workspace: str, user_id: str, topic_id: str, body: Any) -> None:
        choice = parse_body(ChoiceBody, body).topic
        if choice.status == "REQUIRED":
            raise ValidationFailed.of(
                "topic.status", "REQUIRED is a topic's default, not a user's choice"
            )
        topic = self.topic(workspace, topic_id)
        if topic and topic.default_status == "REQUIRED" and choice.status == "OPTED_OUT":
            raise ValidationFailed.of(
                "topic.status", f"topic {topic_id} is REQUIRED: it cannot be opted out of"
            )
        self.documents.put(
            workspace, choice_path(user_id, topic_id), choice.model_dump(mode="json")
        )

    def delete_choice(self, workspace: str, user_id: str, topic_id: str) -> None:
        if not self.documents.delete(workspace, choice_path(user_id, topic_id)):
            raise NotFound(f"user {user_id} has no choice for topic {topic_id}")
