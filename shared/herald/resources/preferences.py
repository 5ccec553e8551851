"""Subscription topics and each user's choices about them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.audience import (
    MAX_TOPIC_NAME,
    CourierChannel,
    PreferenceStatus,
    SubscriptionTopic,
    UserTopicChoice,
    address_key,
    topic_view,
)
from herald.domain.digest import TopicDigest
from herald.domain.preference_log import change_entry, forgotten
from herald.domain.send import check_identifier
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import page_of, paging, parse_body
from herald.store.documents import DocPath, Document, DocumentStore


class ChoiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: UserTopicChoice


# Courier's bulk preference calls: at most this many topics in one.
MAX_BULK_TOPICS = 50


class BulkTopic(UserTopicChoice):
    """One topic of a bulk call: a user's choice with the topic it is for."""

    topic_id: str

    _topic_id = field_validator("topic_id")(classmethod(lambda cls, v: check_identifier(v)))


class BulkReplaceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: list[BulkTopic] = Field(max_length=MAX_BULK_TOPICS)


class BulkUpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: list[BulkTopic] = Field(min_length=1, max_length=MAX_BULK_TOPICS)


def bulk_item(topic_id: str, choice: UserTopicChoice) -> dict[str, Any]:
    """Courier's ``BulkPreferenceTopic``: the applied choice, echoed."""
    return {
        "topic_id": topic_id,
        "status": choice.status,
        "has_custom_routing": choice.has_custom_routing,
        "custom_routing": list(choice.custom_routing),
    }


class TopicBody(BaseModel):
    """``PUT /preferences/topics/{topic_id}``: Herald's own topic API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic_name: str = Field(default="", max_length=MAX_TOPIC_NAME)
    default_status: PreferenceStatus = "OPTED_IN"
    # Channels the topic may use at all; empty means any.
    allowed_channels: list[CourierChannel] = Field(default_factory=list)
    # Sends to the topic collected per user and released as one message.
    digest: TopicDigest | None = None


HERALD_TOPIC_FIELDS = {"topic_id", "topic_name", "default_status", "allowed_channels", "digest"}


def herald_topic_view(topic: SubscriptionTopic) -> dict[str, Any]:
    """A topic as ``/preferences/topics`` answers it, with its section and its digest when
    it has them."""
    shown = {*HERALD_TOPIC_FIELDS, "section_id"}
    return topic.model_dump(
        mode="json", include={field for field in shown if getattr(topic, field) is not None}
    )


def topic_path(topic_id: str) -> tuple[str, str]:
    return ("topics", topic_id)


def section_path(section_id: str) -> tuple[str, str]:
    """A preference section (Courier's workspace preferences), which groups topics."""
    return ("preference_sections", section_id)


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
        parsed = parse_body(TopicBody, body)
        current = self.topic(workspace, topic_id)
        # A section's topic keeps its section and Courier's settings (its hosted page's).
        kept = current.model_dump(exclude=set(TopicBody.model_fields)) if current else {}
        at = now_ms()
        topic = SubscriptionTopic.model_validate(
            {**kept, **parsed.model_dump(), "topic_id": topic_id, "updated": at}
            | ({} if current and current.created else {"created": at})
        )
        self.documents.put(workspace, topic_path(topic_id), topic.model_dump(mode="json"))
        return herald_topic_view(topic)

    def topic(self, workspace: str, topic_id: str) -> SubscriptionTopic | None:
        stored = self.documents.get(workspace, topic_path(topic_id))
        return SubscriptionTopic.model_validate(stored) if stored else None

    def get_topic(self, workspace: str, topic_id: str) -> dict[str, Any]:
        topic = self.topic(workspace, topic_id)
        if topic is None:
            raise NotFound(f"no topic {topic_id}")
        return herald_topic_view(topic)

    def topics(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        return page_of(
            self.documents,
            workspace,
            ("topics",),
            cursor,
            "items",
            lambda _id, doc: herald_topic_view(SubscriptionTopic.model_validate(doc)),
        )

    def delete_topic(self, workspace: str, topic_id: str) -> None:
        topic = self.topic(workspace, topic_id)
        if topic is None:
            raise NotFound(f"no topic {topic_id}")
        section = (
            self.documents.get(workspace, section_path(topic.section_id))
            if topic.section_id
            else None
        )
        puts: list[tuple[DocPath, Document]] = []
        if section is not None and topic.section_id is not None:
            remaining = [t for t in section["topic_ids"] if t != topic_id]
            puts.append((section_path(topic.section_id), {**section, "topic_ids": remaining}))
        self.documents.write_all(workspace, puts, [topic_path(topic_id)])

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

    def topics_and_choices(
        self, workspace: str, user_id: str
    ) -> list[tuple[str, SubscriptionTopic | None, UserTopicChoice | None]]:
        """Every topic of the workspace, and every topic the user chose for, by topic id,
        with the user's choice where they made one (at most 1,000 of each are read)."""
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
        return [
            (topic_id, topics.get(topic_id), choices.get(topic_id))
            for topic_id in sorted(topics.keys() | choices.keys())
        ]

    def all_choices(self, workspace: str, user_id: str) -> dict[str, Any]:
        """Every topic of the workspace, with the user's choice where they made one."""
        items = [
            topic_view(topic_id, topic, choice)
            for topic_id, topic, choice in self.topics_and_choices(workspace, user_id)
        ]
        return {"items": items, "paging": paging(None)}

    def put_choice(self, workspace: str, user_id: str, topic_id: str, body: Any) -> None:
        choice = parse_body(ChoiceBody, body).topic
        if "digest_schedule_id" not in body["topic"]:
            # Courier's: an omitted schedule leaves the user's choice of one alone (null
            # clears it), unlike the routing fields, which the call replaces.
            earlier = self.choice(workspace, user_id, topic_id)
            if earlier is not None and earlier.digest_schedule_id is not None:
                choice = choice.model_copy(
                    update={"digest_schedule_id": earlier.digest_schedule_id}
                )
        if problem := self._choice_problem(workspace, topic_id, choice):
            raise ValidationFailed.of("topic.status", problem)
        if problem := self._schedule_problem(workspace, topic_id, choice):
            raise ValidationFailed.of("topic.digest_schedule_id", problem)
        self._store_choice(workspace, user_id, topic_id, choice)

    def _choice_problem(self, workspace: str, topic_id: str, choice: UserTopicChoice) -> str | None:
        """Why ``choice`` cannot be a user's choice for the topic, or None."""
        if choice.status == "REQUIRED":
            return "REQUIRED is a topic's default, not a user's choice"
        topic = self.topic(workspace, topic_id)
        if topic and topic.default_status == "REQUIRED" and choice.status == "OPTED_OUT":
            return f"topic {topic_id} is REQUIRED: it cannot be opted out of"
        return None

    def _schedule_problem(
        self, workspace: str, topic_id: str, choice: UserTopicChoice
    ) -> str | None:
        """Why the choice's digest schedule is not one the user may choose, or None."""
        if choice.digest_schedule_id is None:
            return None
        topic = self.topic(workspace, topic_id)
        if topic is None or topic.digest is None:
            return f"topic {topic_id} has no digest"
        if choice.digest_schedule_id not in topic.digest.active_ids():
            return f"is not an active schedule of topic {topic_id}"
        return None

    def _store_choice(
        self, workspace: str, user_id: str, topic_id: str, choice: UserTopicChoice
    ) -> None:
        """The choice, with its entry in the preference change log, in one batch."""
        previous = self.choice(workspace, user_id, topic_id)
        entry = change_entry(user_id, topic_id, self.topic(workspace, topic_id), choice, previous)
        self.documents.write_all(
            workspace,
            [(choice_path(user_id, topic_id), choice.model_dump(mode="json")), entry],
            [],
        )

    def _forget_choice(self, workspace: str, user_id: str, topic_id: str) -> bool:
        """Deletes the choice, logged as the topic's default; False if there was none."""
        previous = self.choice(workspace, user_id, topic_id)
        if previous is None:
            return False
        topic = self.topic(workspace, topic_id)
        entry = change_entry(user_id, topic_id, topic, forgotten(topic), previous)
        self.documents.write_all(workspace, [entry], [choice_path(user_id, topic_id)])
        return True

    def _stored_choice_ids(self, workspace: str, user_id: str) -> list[str]:
        found: list[str] = []
        after: str | None = None
        while page := self.documents.page(
            workspace, ("profiles", user_id, "preferences"), after, 1000
        ):
            found.extend(topic_id for topic_id, _ in page)
            after = page[-1][0]
        return found

    def bulk_replace(self, workspace: str, user_id: str, body: Any) -> dict[str, Any]:
        """Courier's bulk replace: these topics become the user's only choices, all or none.

        Every other choice is forgotten (the topic's default applies again).
        """
        topics = _distinct_topics(parse_body(BulkReplaceBody, body).topics)
        for index, topic in enumerate(topics):
            if problem := self._choice_problem(workspace, topic.topic_id, topic):
                raise ValidationFailed.of(f"topics[{index}].status", problem)
            if problem := self._schedule_problem(workspace, topic.topic_id, topic):
                raise ValidationFailed.of(f"topics[{index}].digest_schedule_id", problem)
        wanted = {topic.topic_id for topic in topics}
        deleted = [t for t in self._stored_choice_ids(workspace, user_id) if t not in wanted]
        for topic in topics:
            self._store_choice(workspace, user_id, topic.topic_id, _choice_of(topic))
        for topic_id in deleted:
            self._forget_choice(workspace, user_id, topic_id)
        return {"deleted": deleted, "items": [bulk_item(t.topic_id, t) for t in topics]}

    def bulk_update(self, workspace: str, user_id: str, body: Any) -> dict[str, Any]:
        """Courier's bulk update: each topic applied on its own; those that cannot be are
        answered in ``errors`` with the reason, the others stored."""
        topics = _distinct_topics(parse_body(BulkUpdateBody, body).topics)
        items: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        for topic in topics:
            problem = self._choice_problem(workspace, topic.topic_id, topic)
            if problem := problem or self._schedule_problem(workspace, topic.topic_id, topic):
                errors.append({"topic_id": topic.topic_id, "reason": problem})
                continue
            self._store_choice(workspace, user_id, topic.topic_id, _choice_of(topic))
            items.append(bulk_item(topic.topic_id, topic))
        return {"errors": errors, "items": items}

    def delete_choice(self, workspace: str, user_id: str, topic_id: str) -> None:
        if not self._forget_choice(workspace, user_id, topic_id):
            raise NotFound(f"user {user_id} has no choice for topic {topic_id}")


def _choice_of(topic: BulkTopic) -> UserTopicChoice:
    return UserTopicChoice.model_validate(topic.model_dump(exclude={"topic_id"}))


def _distinct_topics(topics: list[BulkTopic]) -> list[BulkTopic]:
    seen: set[str] = set()
    for index, topic in enumerate(topics):
        if topic.topic_id in seen:
            raise ValidationFailed.of(f"topics[{index}].topic_id", "names a topic twice")
        seen.add(topic.topic_id)
    return topics
