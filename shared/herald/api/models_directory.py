"""Response bodies of the directory APIs (profiles, lists, preferences, topics, templates,
brands), in Courier's shapes, as models: the OpenAPI document publishes their schemas.

The services build these bodies as plain dicts; a unit test validates real answers
against the schemas, so a view and its model cannot drift apart. Keys are as
Courier spells them in each API (snake_case in preferences, ``recipientId`` in
list subscriptions), hence no alias generator here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.domain.audience import CourierChannel, PreferenceStatus, UserTopicChoice
from herald.domain.send import Channel, Content, ElementalContent, Routing
from herald.domain.views import Paging
from herald.resources.brands import BrandSettings


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Succeeded(_View):
    """``POST`` and ``PUT /profiles/{user_id}``."""

    status: Literal["SUCCESS"]


class ProfileView(_View):
    """``GET /profiles/{user_id}``: the stored profile; Herald keeps no per-profile
    notification preferences (they live under ``/users/{user_id}/preferences``)."""

    profile: dict[str, Any]
    preferences: dict[str, Any] | None


class ListView(_View):
    """``GET /lists/{list_id}``; times are ISO 8601, as Courier's lists API writes them."""

    id: str
    name: str
    created: str | None
    updated: str | None


class ListPage(_View):
    """``GET /lists``."""

    items: list[ListView]
    paging: Paging


class SubscriptionView(_View):
    recipient_id: str = Field(alias="recipientId")
    created: str | None
    preferences: dict[str, Any] | None


class SubscriptionPage(_View):
    """``GET /lists/{list_id}/subscriptions``."""

    items: list[SubscriptionView]
    paging: Paging


class TopicPreference(_View):
    """Courier's ``TopicPreference``: the topic's default and the user's status for it."""

    topic_id: str
    topic_name: str
    default_status: PreferenceStatus
    status: PreferenceStatus
    has_custom_routing: bool
    custom_routing: list[CourierChannel] | None = None  # only with has_custom_routing


class UserPreferences(_View):
    """``GET /users/{user_id}/preferences``: every topic, with the user's choice where made."""

    items: list[TopicPreference]
    paging: Paging


class UserTopicPreference(_View):
    """``GET /users/{user_id}/preferences/{topic_id}``."""

    topic: TopicPreference


class ChoiceRequest(_View):
    """``PUT /users/{user_id}/preferences/{topic_id}`` request body."""

    topic: UserTopicChoice


class Acknowledged(_View):
    """``PUT /users/{user_id}/preferences/{topic_id}``."""

    message: Literal["success"]


class TopicRequest(_View):
    """``PUT /preferences/topics/{topic_id}`` request body (the id comes from the path)."""

    topic_name: str = ""
    default_status: PreferenceStatus = "OPTED_IN"
    # Channels the topic may use at all; empty means any.
    allowed_channels: list[CourierChannel] = Field(default_factory=list)


class TopicView(_View):
    """A workspace's subscription topic (Herald's API: Courier edits them in its web app)."""

    topic_id: str
    topic_name: str
    default_status: PreferenceStatus
    allowed_channels: list[CourierChannel]


class TopicPage(_View):
    """``GET /preferences/topics``."""

    items: list[TopicView]
    paging: Paging


class TemplateView(_View):
    """A stored template (Herald's API); times are epoch milliseconds."""

    id: str
    name: str
    content: Content | ElementalContent
    channels: dict[Channel, Content | ElementalContent]
    routing: Routing | None = None
    subscription_topic_id: str | None = None
    brand_id: str | None = None
    created: int
    updated: int


class TemplatePage(_View):
    """``GET /templates``."""

    results: list[TemplateView]
    paging: Paging


class BrandView(_View):
    """Courier's ``Brand``; times are epoch milliseconds, as Courier's brands API writes them."""

    id: str
    name: str
    settings: BrandSettings
    snippets: dict[str, Any] | None
    created: int
    updated: int


class BrandPage(_View):
    """``GET /brands``."""

    results: list[BrandView]
    paging: Paging
