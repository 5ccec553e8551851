"""What the render stage looks up before it routes a message.

The user's profile (for ``to.user_id``), the stored template and brand, and the
recipient's choice about the message's subscription topic: read together,
outside the transaction that then routes the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from herald.domain.audience import PreferenceDecision, SubscriptionTopic, UserTopicChoice, decide
from herald.domain.message import MessageState
from herald.errors import ValidationFailed
from herald.resources.brands import for_rendering
from herald.resources.preferences import address_choice_path, choice_path
from herald.resources.profiles import profile_addresses
from herald.store.documents import DocPath, DocumentStore


@dataclass(frozen=True)
class RenderContext:
    recipient: dict[str, Any]  # the message's recipient, filled in from the profile
    profile: dict[str, Any] = field(default_factory=dict)
    template: dict[str, Any] | None = None
    brand: dict[str, Any] | None = None
    preference: PreferenceDecision = field(default_factory=lambda: PreferenceDecision(True, None))
    topic_id: str | None = None
    topic: SubscriptionTopic | None = None
    missing: str | None = None  # what was named but does not exist
    # What was found but cannot be used (a stored profile whose address is not one).
    invalid: str | None = None

    def content_for(self, message: MessageState, channel: str) -> dict[str, Any]:
        """The channel's own content from the template, its default, or the message's."""
        if self.template is None:
            return message.content
        by_channel: dict[str, Any] = self.template.get("channels") or {}
        return dict(by_channel.get(channel) or self.template["content"])

    def routing(self, message: MessageState) -> dict[str, Any] | None:
        if message.routing is not None or self.template is None:
            return message.routing
        routing: dict[str, Any] | None = self.template.get("routing")
        return routing


class ContextResolver:
    def __init__(self, documents: DocumentStore | None) -> None:
        self.documents = documents

    def resolve(self, message: MessageState) -> RenderContext:
        recipient = message.recipient
        if self.documents is None:
            return RenderContext(recipient)
        user_id: str | None = recipient.get("user_id")
        paths: dict[str, DocPath] = {}
        if user_id:
            paths["profile"] = ("profiles", user_id)
        if message.template:
            paths["template"] = ("templates", message.template)
        found = dict(
            zip(
                paths, self.documents.get_many(message.workspace, list(paths.values())), strict=True
            )
        )
        template = found.get("template")
        if message.template and template is None:
            return RenderContext(recipient, missing=f"template {message.template}")
        profile: dict[str, Any] = (found.get("profile") or {}).get("profile", {})
        # The message's own addresses win over the profile's, as in Courier; the profile's
        # are checked as the message's were (one stored before they were checked, or
        # written around the API, must not reach a provider).
        unused = {k: v for k, v in profile.items() if k not in recipient}
        try:
            addresses = profile_addresses(unused)
        except ValidationFailed as exc:
            return RenderContext(
                recipient, profile, template, invalid=f"the profile of user {user_id}: {exc}"
            )
        merged = {**profile, **addresses, **recipient}
        topic_id = message.subscription_topic_id or (template or {}).get("subscription_topic_id")
        brand_id = message.brand_id or (template or {}).get("brand_id")
        later: dict[str, DocPath] = {}
        if topic_id:
            later["topic"] = ("topics", topic_id)
            if user_id:
                later["choice"] = choice_path(user_id, topic_id)
            elif isinstance(recipient.get("email"), str):
                # No user id: an unsubscribe from an earlier email was kept by address.
                later["choice"] = address_choice_path(recipient["email"], topic_id)
        if brand_id:
            later["brand"] = ("brands", brand_id)
        more = dict(
            zip(
                later, self.documents.get_many(message.workspace, list(later.values())), strict=True
            )
        )
        if brand_id and more.get("brand") is None:
            return RenderContext(merged, profile, template, missing=f"brand {brand_id}")
        topic = SubscriptionTopic.model_validate(more["topic"]) if more.get("topic") else None
        choice = UserTopicChoice.model_validate(more["choice"]) if more.get("choice") else None
        return RenderContext(
            recipient=merged,
            profile=profile,
            template=template,
            brand=for_rendering(brand) if (brand := more.get("brand")) else None,
            preference=decide(topic, choice) if topic_id else PreferenceDecision(True, None),
            topic_id=topic_id,
            topic=topic,
        )
