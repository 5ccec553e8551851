"""The preferences client of Courier's browser client (courier-js's ``PreferenceClient``,
sent to its ``apiUrls.courier.graphql``): a user's choices per topic, the workspace's
published page of sections and topics, a topic's digest schedules, and the one change
the client makes (``updatePreferenceV2``).

Its types and resolvers over Herald's preferences store; ``client_graphql`` serves them,
with the brand query. Reads need the token's ``read:preferences``, the change
``write:preferences``; every read is of the one user the token acts for.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType

from herald.api.brand_graphql import may_read, stored_brand
from herald.domain.audience import SubscriptionTopic, UserTopicChoice, topic_view
from herald.domain.digest import DigestSchedule
from herald.domain.send import check_identifier
from herald.errors import ValidationFailed
from herald.resources.brands import BrandService
from herald.resources.preference_sections import published_page, sections_with_topics
from herald.resources.preferences import PreferenceService, section_path
from herald.store.documents import DocumentStore

CLIENT_OPERATIONS: dict[str, OperationType] = {
    "GetRecipientPreferences": OperationType.QUERY,
    "GetRecipientPreferenceTopic": OperationType.QUERY,
    "GetPreferencePage": OperationType.QUERY,
    "GetDigestSchedulesForTopic": OperationType.QUERY,
    "UpdateRecipientPreferenceV2": OperationType.MUTATION,
}
READ_PREFERENCES = "read:preferences"
WRITE_PREFERENCES = "write:preferences"
# What the client may send for a choice's routing; Herald routes a user's custom
# routing to these alone (domain.audience.CourierChannel).
ROUTED_CHANNELS = ("direct_message", "email", "push", "sms", "webhook")

TYPES = """
enum PreferenceStatus {
  OPTED_IN
  OPTED_OUT
  REQUIRED
  UNKNOWN
}

enum Channel {
  direct_message
  inbox
  email
  push
  sms
  webhook
  unknown
}

input PreferencesInput {
  status: PreferenceStatus!
  hasCustomRouting: Boolean!
  routingPreferences: [Channel!]!
  digestSchedule: String
}

type RecipientPreference {
  templateId: String!
  templateName: String
  sectionId: String
  sectionName: String
  defaultStatus: String
  status: String
  hasCustomRouting: Boolean
  routingPreferences: [String!]
  digestSchedule: String
}

type RecipientPreferences {
  nodes: [RecipientPreference!]!
}

type DigestScheduleOption {
  scheduleId: String!
  period: String
  recurrence: String
  repeat: JSON
  repetition: String
  start: String
  default: Boolean
}

type ChannelLabel {
  channel: String
  name: String
}

type ChannelConfigs {
  channelLabels: [ChannelLabel!]!
}

type PageTopic {
  templateId: String!
  templateName: String
  defaultStatus: String
  data: JSON
  digestSchedules: JSON
}

type PageTopics {
  nodes: [PageTopic!]!
}

type PageSection {
  sectionId: String!
  name: String
  routingOptions: [String!]
  hasCustomRouting: Boolean
  topics: PageTopics!
}

type PageSections {
  nodes: [PageSection!]!
}

type PreferencePage {
  showCourierFooter: Boolean
  brand(brandId: String): Brand
  channelConfigs: ChannelConfigs
  sections: PageSections!
}
"""
QUERIES = """
  recipientPreferences(accountId: String): RecipientPreferences!
  recipientPreference(templateId: String!, accountId: String): RecipientPreference
  preferencePage(accountId: String): PreferencePage
  digestSchedulesForTopic(templateId: String!): [DigestScheduleOption!]!
"""
MUTATIONS = """
  updatePreferenceV2(
    templateId: String!, preferences: PreferencesInput!, accountId: String
  ): RecipientPreference
"""


def schedule_option(schedule: DigestSchedule) -> dict[str, Any]:
    """A digest schedule as the client's ``CourierDigestScheduleOption``: Herald's
    frequency is its period, a ``minutes`` schedule's interval its repetition, a daily
    one's local time its start."""
    return {
        "scheduleId": schedule.schedule_id,
        "period": schedule.frequency,
        "recurrence": None,
        "repeat": None,
        "repetition": str(schedule.interval_minutes) if schedule.interval_minutes else None,
        "start": schedule.time,
        "default": schedule.is_default,
    }


def schedule_options(topic: SubscriptionTopic | None) -> list[dict[str, Any]]:
    """A topic's schedules a user may choose (none disabled)."""
    if topic is None or topic.digest is None:
        return []
    return [schedule_option(s) for s in topic.digest.schedules if not s.disabled]


def preference_node(
    topic_id: str,
    topic: SubscriptionTopic | None,
    choice: UserTopicChoice | None,
    section_names: dict[str, str],
) -> dict[str, Any]:
    """The user's preference for a topic as the client's ``RecipientPreference``."""
    view = topic_view(topic_id, topic, choice)
    section_id = topic.section_id if topic else None
    return {
        "templateId": topic_id,
        "templateName": view["topic_name"],
        "sectionId": section_id,
        "sectionName": section_names.get(section_id or ""),
        "defaultStatus": view["default_status"],
        "status": view["status"],
        "hasCustomRouting": view["has_custom_routing"],
        "routingPreferences": view.get("custom_routing", []),
        "digestSchedule": view.get("digest_schedule_id"),
    }


def _no_tenant(accountId: str | None) -> None:
    if accountId is not None:
        raise GraphQLError(
            "accountId: Herald keeps a user's preferences per workspace, not per tenant"
        )


def _topic_id(templateId: str) -> str:
    try:
        check_identifier(templateId)
    except ValueError as exc:
        raise GraphQLError(f"templateId: {exc}") from exc
    return templateId


class PreferencesResolvers:
    """The root fields of the preferences client, for one user of one workspace."""

    def __init__(
        self, documents: DocumentStore, workspace: str, user_id: str, grants: frozenset[str]
    ) -> None:
        self.documents = documents
        self.preferences = PreferenceService(documents)
        self.workspace = workspace
        self.user_id = user_id
        self.grants = grants

    def root(self) -> dict[str, Any]:
        return {
            "recipientPreferences": self.recipient_preferences,
            "recipientPreference": self.recipient_preference,
            "preferencePage": self.preference_page,
            "digestSchedulesForTopic": self.digest_schedules,
            "updatePreferenceV2": self.update,
        }

    def _may(self, grant: str) -> None:
        if grant not in self.grants:
            raise PermissionError(grant)

    def _section_names(self, topics: list[SubscriptionTopic | None]) -> dict[str, str]:
        ids = sorted({t.section_id for t in topics if t is not None and t.section_id})
        found = self.documents.get_many(self.workspace, [section_path(i) for i in ids])
        return {i: doc["name"] for i, doc in zip(ids, found, strict=True) if doc is not None}

    def _node(self, topic_id: str) -> dict[str, Any] | None:
        topic = self.preferences.topic(self.workspace, topic_id)
        if topic is None:
            return None
        choice = self.preferences.choice(self.workspace, self.user_id, topic_id)
        return preference_node(topic_id, topic, choice, self._section_names([topic]))

    def recipient_preferences(self, info: Any, accountId: str | None = None) -> dict[str, Any]:
        self._may(READ_PREFERENCES)
        _no_tenant(accountId)
        found = self.preferences.topics_and_choices(self.workspace, self.user_id)
        names = self._section_names([topic for _, topic, _ in found])
        nodes = [preference_node(i, topic, choice, names) for i, topic, choice in found]
        return {"nodes": nodes}

    def recipient_preference(
        self, info: Any, templateId: str, accountId: str | None = None
    ) -> dict[str, Any] | None:
        self._may(READ_PREFERENCES)
        _no_tenant(accountId)
        return self._node(_topic_id(templateId))

    def digest_schedules(self, info: Any, templateId: str) -> list[dict[str, Any]]:
        self._may(READ_PREFERENCES)
        return schedule_options(self.preferences.topic(self.workspace, _topic_id(templateId)))

    def preference_page(self, info: Any, accountId: str | None = None) -> dict[str, Any] | None:
        self._may(READ_PREFERENCES)
        _no_tenant(accountId)
        page = published_page(self.documents, self.workspace)
        if page is None:
            return None  # the client's "no page published"
        sections = [
            {
                "sectionId": section["id"],
                "name": section["name"],
                "routingOptions": list(section["routing_options"]),
                "hasCustomRouting": section["has_custom_routing"],
                "topics": {
                    "nodes": [
                        {
                            "templateId": topic.topic_id,
                            "templateName": topic.topic_name or topic.topic_id,
                            "defaultStatus": topic.default_status,
                            "data": dict(topic.topic_data),
                            "digestSchedules": schedule_options(topic) or None,
                        }
                        for topic in topics
                    ]
                },
            }
            for section, topics in sections_with_topics(self.documents, self.workspace)
        ]
        return {
            "showCourierFooter": False,
            "brand": self._page_brand(page.get("brand_id")),
            "channelConfigs": None,
            "sections": {"nodes": sections},
        }

    def _page_brand(self, published: str | None) -> Any:
        brands = BrandService(self.documents)

        def brand(info: Any, brandId: str | None = None) -> dict[str, Any] | None:
            # The page's own brand comes with the page; another needs the token's
            # read:brands, as the brand query does.
            if brandId is not None and brandId != published and not may_read(self.grants, brandId):
                raise PermissionError(f"read:brands:{brandId[:60]}")
            chosen = brandId or published
            return stored_brand(brands, self.workspace, chosen) if chosen else None

        return brand

    def update(
        self,
        info: Any,
        templateId: str,
        preferences: dict[str, Any],
        accountId: str | None = None,
    ) -> dict[str, Any] | None:
        self._may(WRITE_PREFERENCES)
        _no_tenant(accountId)
        topic_id = _topic_id(templateId)
        if self.preferences.topic(self.workspace, topic_id) is None:
            raise GraphQLError(f"templateId: no topic {topic_id} in this workspace")
        routing = list(preferences["routingPreferences"])
        if unrouted := [c for c in routing if c not in ROUTED_CHANNELS]:
            raise GraphQLError(
                f"preferences.routingPreferences: {unrouted[0]} is not one of "
                + ", ".join(ROUTED_CHANNELS)
            )
        choice: dict[str, Any] = {
            "status": preferences["status"],
            "has_custom_routing": preferences["hasCustomRouting"],
            "custom_routing": routing,
        }
        if preferences.get("digestSchedule") is not None:
            choice["digest_schedule_id"] = preferences["digestSchedule"]
        try:
            self.preferences.put_choice(self.workspace, self.user_id, topic_id, {"topic": choice})
        except ValidationFailed as exc:
            field = exc.errors[0].field.removeprefix("topic.")
            client_field = {
                "status": "status",
                "custom_routing": "routingPreferences",
                "digest_schedule_id": "digestSchedule",
                "has_custom_routing": "hasCustomRouting",
            }.get(field, field)
            raise GraphQLError(f"preferences.{client_field}: {exc.errors[0].reason}") from exc
        return self._node(topic_id)
