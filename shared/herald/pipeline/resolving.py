"""What the render stage looks up before it routes a message.

The user's profile (for ``to.user_id``) and device tokens, the stored template,
tenant and brand, and the recipient's choice about the message's subscription
topic: read together, outside the transaction that then routes the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from herald.clock import now_ms
from herald.domain.audience import PreferenceDecision, SubscriptionTopic, UserTopicChoice, decide
from herald.domain.digest import DigestSchedule
from herald.domain.message import MessageState
from herald.errors import ValidationFailed
from herald.locales import check_locale, pick_locale
from herald.resources.brands import for_rendering
from herald.resources.preferences import address_choice_path, choice_path
from herald.resources.profiles import profile_addresses
from herald.resources.tenant_templates import tenant_template_for
from herald.resources.tenants import default_choice, tenant_path
from herald.resources.tokens import indexed_tokens, token_index_path, usable_push_token
from herald.resources.translations import messages_of, translation_paths
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
    # The tenant's properties, what templates read as ``tenant.*``.
    tenant: dict[str, Any] | None = None
    # The message's locale (the recipient's, else the profile's) and the translations
    # of the default domain nearest it.
    locale: str | None = None
    translations: dict[str, str] | None = None
    missing: str | None = None  # what was named but does not exist
    # What was found but cannot be used (a stored profile whose address is not one).
    invalid: str | None = None
    # The recipient's digest schedule of the topic: the message is collected, not sent.
    digest: DigestSchedule | None = None

    def content_for(self, message: MessageState, channel: str) -> dict[str, Any]:
        """The channel's own content from the template, its default, or the message's."""
        if self.template is None:
            return message.content
        variants: dict[str, Any] = self.template.get("locales") or {}
        if (locale := pick_locale(variants, self.locale)) is not None:
            return dict(variants[locale])
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
        tenant_id: str | None = recipient.get("tenant_id") or message.tenant_id
        paths: dict[str, DocPath] = {}
        if user_id:
            paths["profile"] = ("profiles", user_id)
            # The index of their device tokens, read with the profile (not queried).
            paths["tokens"] = token_index_path(user_id)
        if message.template:
            paths["template"] = ("templates", message.template)
        if tenant_id:
            paths["tenant"] = tenant_path(tenant_id)
        found = dict(
            zip(
                paths, self.documents.get_many(message.workspace, list(paths.values())), strict=True
            )
        )
        template = found.get("template")
        if message.template and template is None:
            return RenderContext(recipient, missing=f"template {message.template}")
        tenant = found.get("tenant")
        if tenant_id and tenant is None:
            return RenderContext(recipient, template=template, missing=f"tenant {tenant_id}")
        if template is not None and message.template and tenant_id:
            # The tenant's own published version of the template, if it has one.
            template = tenant_template_for(
                self.documents, message.workspace, tenant_id, message.template, template
            )
        # The tenant's user profile lies under the user's own.
        profile: dict[str, Any] = {
            **((tenant or {}).get("user_profile") or {}),
            **(found.get("profile") or {}).get("profile", {}),
        }
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
        # The push channel's address may be a device token the user registered.
        tokens = indexed_tokens(found.get("tokens"))
        if not merged.get("firebaseToken") and (token := usable_push_token(tokens, now_ms())):
            merged["firebaseToken"] = token
        topic_id = message.subscription_topic_id or (template or {}).get("subscription_topic_id")
        # The send's brand, else the tenant's, else the template's.
        brand_id = (
            message.brand_id or (tenant or {}).get("brand_id") or (template or {}).get("brand_id")
        )
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
        locale = _locale(merged.get("locale"))
        if locale:
            for position, path in enumerate(translation_paths(locale)):
                later[f"translations{position}"] = path
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
            digest=_digest_schedule(message, user_id, topic, choice),
            recipient=merged,
            profile=profile,
            template=template,
            brand=for_rendering(brand) if (brand := more.get("brand")) else None,
            preference=(
                decide(topic, choice, default_choice(tenant, topic_id))
                if topic_id
                else PreferenceDecision(True, None)
            ),
            topic_id=topic_id,
            topic=topic,
            tenant=((tenant or {}).get("properties") or {}) if tenant_id else None,
            locale=locale,
            translations=next(
                (
                    messages_of(found)
                    for key, found in more.items()
                    if key.startswith("translations") and found is not None
                ),
                None,
            ),
        )


def _locale(value: Any) -> str | None:
    """The message's locale; a profile's that is not one is as if none were given."""
    if not isinstance(value, str):
        return None
    try:
        return check_locale(value)
    except ValueError:
        return None


def _digest_schedule(
    message: MessageState,
    user_id: str | None,
    topic: SubscriptionTopic | None,
    choice: UserTopicChoice | None,
) -> DigestSchedule | None:
    """The schedule that collects this message, or None: the topic has no digest, the
    recipient is no user, is on an ``instant`` schedule, or the message is a release."""
    if topic is None or topic.digest is None or not user_id or message.digest_id is not None:
        return None
    schedule = topic.digest.schedule(choice.digest_schedule_id if choice else None)
    return None if schedule.frequency == "instant" else schedule
