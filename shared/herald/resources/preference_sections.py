"""Courier's workspace preferences: sections that group the workspace's subscription topics.

A section is stored at ``preference_sections/{id}`` with the ids of its topics, in
order; its topics are the workspace's one kind of topic (``topics/{id}``, what a send's
``subscription_topic_id`` names and ``/preferences/topics`` serves), carrying the
section's id. Courier's page settings (``POST /preferences/publish``) are kept at
``preference_page/published``.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.audience import (
    MAX_TOPIC_DESCRIPTION,
    MAX_TOPIC_NAME,
    AllowedPreference,
    CourierChannel,
    PreferenceStatus,
    SubscriptionTopic,
)
from herald.domain.send import check_identifier
from herald.errors import InUse, NotFound, ValidationFailed
from herald.resources.parsing import iso, parse_body
from herald.resources.preferences import section_path, topic_path
from herald.store.documents import DocPath, Document, DocumentStore

MAX_SECTIONS = 50  # per workspace: a hosted page of sections
MAX_SECTION_TOPICS = 100
SECTIONS: DocPath = ("preference_sections",)
PUBLISHED_PAGE: DocPath = ("preference_page", "published")


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists a value twice")
    return values


def _null_is_empty(value: Any) -> Any:
    return [] if value is None else value  # Courier's SDK sends null for "none"


class SectionBody(BaseModel):
    """``POST /preferences/sections`` and ``PUT /preferences/sections/{section_id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=MAX_TOPIC_NAME)
    description: str | None = Field(default=None, max_length=MAX_TOPIC_DESCRIPTION)
    has_custom_routing: bool | None = None
    routing_options: list[CourierChannel] | None = None

    _routing = field_validator("routing_options", mode="before")(
        classmethod(lambda cls, v: _null_is_empty(v))
    )
    _distinct_routing = field_validator("routing_options")(
        classmethod(lambda cls, v: _distinct(v) if v is not None else v)
    )


class SectionTopicBody(BaseModel):
    """``POST /preferences/sections/{section_id}/topics`` and its ``PUT``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=MAX_TOPIC_NAME)
    default_status: PreferenceStatus
    description: str | None = Field(default=None, max_length=MAX_TOPIC_DESCRIPTION)
    allowed_preferences: list[AllowedPreference] | None = None
    include_unsubscribe_header: bool | None = None
    routing_options: list[CourierChannel] | None = None
    topic_data: dict[str, Any] | None = None
    # A digest is set through Herald's topic API; here it is refused, never dropped.
    digest: None = None

    @field_validator("digest", mode="before")
    @classmethod
    def _no_digest(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(
                "not yet here: set a topic's digest with PUT /preferences/topics/{topic_id}"
            )
        return None

    _lists = field_validator("allowed_preferences", "routing_options", mode="before")(
        classmethod(lambda cls, v: _null_is_empty(v))
    )
    _distinct_lists = field_validator("allowed_preferences", "routing_options")(
        classmethod(lambda cls, v: _distinct(v) if v is not None else v)
    )

    @field_validator("topic_data")
    @classmethod
    def _bounded_data(cls, data: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if data is None else SubscriptionTopic.bounded_data(data)


class PublishBody(BaseModel):
    """``POST /preferences/publish``: what the hosted preferences page shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    brand_id: str | None = Field(default=None, max_length=200)
    heading: str | None = Field(default=None, max_length=MAX_TOPIC_NAME)
    description: str | None = Field(default=None, max_length=MAX_TOPIC_DESCRIPTION)


def topic_view(topic: SubscriptionTopic) -> dict[str, Any]:
    """Courier's ``WorkspacePreferenceTopicGetResponse``."""
    view: dict[str, Any] = {
        "id": topic.topic_id,
        "name": topic.topic_name or topic.topic_id,
        "default_status": topic.default_status,
        "allowed_preferences": list(topic.allowed_preferences),
        "include_unsubscribe_header": topic.include_unsubscribe_header,
        "routing_options": list(topic.allowed_channels),
        "topic_data": dict(topic.topic_data),
        "created": iso(topic.created or 0),
        "updated": iso(topic.updated or topic.created or 0),
    }
    if topic.description is not None:
        view["description"] = topic.description
    return view


def section_view(section: Document, topics: list[SubscriptionTopic]) -> dict[str, Any]:
    """Courier's ``WorkspacePreferenceGetResponse``."""
    view: dict[str, Any] = {
        "id": section["id"],
        "name": section["name"],
        "has_custom_routing": section["has_custom_routing"],
        "routing_options": list(section["routing_options"]),
        "topics": [topic_view(topic) for topic in topics],
        "created": iso(section["created"]),
        "updated": iso(section["updated"]),
        "creator": section["creator"],
        "updater": section["updater"],
    }
    if section.get("description") is not None:
        view["description"] = section["description"]
    return view


def topics_of(
    documents: DocumentStore, workspace: str, section: Document
) -> list[SubscriptionTopic]:
    """A section's topics, in its order."""
    found = documents.get_many(workspace, [topic_path(t) for t in section["topic_ids"]])
    return [SubscriptionTopic.model_validate(doc) for doc in found if doc is not None]


def sections_with_topics(
    documents: DocumentStore, workspace: str
) -> list[tuple[Document, list[SubscriptionTopic]]]:
    """The workspace's sections, oldest first, each with its topics."""
    sections = documents.page(workspace, SECTIONS, None, MAX_SECTIONS)
    return [
        (section, topics_of(documents, workspace, section))
        for _, section in sorted(sections, key=lambda found: found[1]["created"])
    ]


def published_page(documents: DocumentStore, workspace: str) -> Document | None:
    """The page settings last published (``POST /preferences/publish``), or None."""
    return documents.get(workspace, PUBLISHED_PAGE)


class PreferenceSectionService:
    """Sections and their topics, each change by ``actor`` (the API key's id)."""

    def __init__(self, documents: DocumentStore, actor: str) -> None:
        self.documents = documents
        self.actor = actor

    # Sections.
    def create(self, workspace: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(SectionBody, body)
        if self.documents.count(workspace, SECTIONS, MAX_SECTIONS) >= MAX_SECTIONS:
            raise ValidationFailed.of("name", f"a workspace has at most {MAX_SECTIONS} sections")
        at = now_ms()
        section_id = uuid.uuid4().hex
        stored = {
            **_section_fields(parsed),
            "id": section_id,
            "topic_ids": [],
            "created": at,
            "updated": at,
            "creator": self.actor,
            "updater": self.actor,
        }
        self.documents.put(workspace, section_path(section_id), stored)
        return section_view(stored, [])

    def _section(self, workspace: str, section_id: str) -> Document:
        stored = self.documents.get(workspace, section_path(section_id))
        if stored is None:
            raise NotFound(f"no preference section {section_id}")
        return stored

    def _topics_of(self, workspace: str, section: Document) -> list[SubscriptionTopic]:
        return topics_of(self.documents, workspace, section)

    def get(self, workspace: str, section_id: str) -> dict[str, Any]:
        section = self._section(workspace, section_id)
        return section_view(section, self._topics_of(workspace, section))

    def find(self, workspace: str) -> dict[str, Any]:
        return {
            "results": [
                section_view(section, topics)
                for section, topics in sections_with_topics(self.documents, workspace)
            ]
        }

    def replace(self, workspace: str, section_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(SectionBody, body)
        section = self._section(workspace, section_id)
        stored = {**section, **_section_fields(parsed), "updated": now_ms(), "updater": self.actor}
        self.documents.put(workspace, section_path(section_id), stored)
        return section_view(stored, self._topics_of(workspace, stored))

    def archive(self, workspace: str, section_id: str) -> None:
        section = self._section(workspace, section_id)
        if section["topic_ids"]:
            raise InUse(
                f"preference section {section_id} still has {len(section['topic_ids'])}"
                " topics: archive them first"
            )
        self.documents.delete(workspace, section_path(section_id))

    # Its topics.
    def create_topic(self, workspace: str, section_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(SectionTopicBody, body)
        section = self._section(workspace, section_id)
        if len(section["topic_ids"]) >= MAX_SECTION_TOPICS:
            raise ValidationFailed.of(
                "section_id", f"a section holds at most {MAX_SECTION_TOPICS} topics"
            )
        topic_id = uuid.uuid4().hex
        topic = _topic_of(topic_id, section_id, parsed, created=now_ms())
        section = {**section, "topic_ids": [*section["topic_ids"], topic_id]}
        self.documents.write_all(
            workspace,
            [
                (topic_path(topic_id), topic.model_dump(mode="json")),
                (section_path(section_id), section),
            ],
            [],
        )
        return topic_view(topic)

    def _topic(self, workspace: str, section_id: str, topic_id: str) -> SubscriptionTopic:
        check_identifier(topic_id)
        stored = self.documents.get(workspace, topic_path(topic_id))
        topic = SubscriptionTopic.model_validate(stored) if stored else None
        if topic is None or topic.section_id != section_id:
            raise NotFound(f"no topic {topic_id} in preference section {section_id}")
        return topic

    def get_topic(self, workspace: str, section_id: str, topic_id: str) -> dict[str, Any]:
        self._section(workspace, section_id)
        return topic_view(self._topic(workspace, section_id, topic_id))

    def topics(self, workspace: str, section_id: str) -> dict[str, Any]:
        section = self._section(workspace, section_id)
        return {"results": [topic_view(t) for t in self._topics_of(workspace, section)]}

    def replace_topic(
        self, workspace: str, section_id: str, topic_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(SectionTopicBody, body)
        self._section(workspace, section_id)
        current = self._topic(workspace, section_id, topic_id)
        topic = _topic_of(topic_id, section_id, parsed, created=current.created or now_ms())
        self.documents.put(workspace, topic_path(topic_id), topic.model_dump(mode="json"))
        return topic_view(topic)

    def archive_topic(self, workspace: str, section_id: str, topic_id: str) -> None:
        section = self._section(workspace, section_id)
        self._topic(workspace, section_id, topic_id)
        remaining = [t for t in section["topic_ids"] if t != topic_id]
        self.documents.write_all(
            workspace,
            [(section_path(section_id), {**section, "topic_ids": remaining})],
            [topic_path(topic_id)],
        )

    # The hosted page.
    def publish(self, workspace: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(PublishBody, body if body is not None else {})
        at = now_ms()
        page_id = uuid.uuid4().hex
        self.documents.put(
            workspace,
            PUBLISHED_PAGE,
            {
                **parsed.model_dump(mode="json", exclude_none=True),
                "page_id": page_id,
                "published_at": at,
                "published_by": self.actor,
            },
        )
        return {
            "page_id": page_id,
            "published_at": iso(at),
            "published_version": at,
            "published_by": self.actor,
        }


def _section_fields(parsed: SectionBody) -> dict[str, Any]:
    # A replace clears what it omits, as Courier's does.
    return {
        "name": parsed.name,
        "description": parsed.description,
        "has_custom_routing": bool(parsed.has_custom_routing),
        "routing_options": list(parsed.routing_options or []),
    }


def _topic_of(
    topic_id: str, section_id: str, parsed: SectionTopicBody, created: int
) -> SubscriptionTopic:
    return SubscriptionTopic(
        topic_id=topic_id,
        topic_name=parsed.name,
        default_status=parsed.default_status,
        allowed_channels=list(parsed.routing_options or []),
        section_id=section_id,
        description=parsed.description,
        allowed_preferences=list(parsed.allowed_preferences or []),
        include_unsubscribe_header=bool(parsed.include_unsubscribe_header),
        topic_data=dict(parsed.topic_data or {}),
        created=created,
        updated=now_ms(),
    )
