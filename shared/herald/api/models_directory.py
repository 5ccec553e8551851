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
from herald.domain.audience_filter import AudienceFilter
from herald.domain.digest import TopicDigest
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


class UserListView(_View):
    """A list a user is subscribed to, with the subscription's preferences."""

    id: str
    name: str
    created: str | None
    updated: str | None
    preferences: dict[str, Any] | None


class UserListPage(_View):
    """``GET /profiles/{user_id}/lists``."""

    results: list[UserListView]
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
    digest_schedule_id: str | None = None  # only when the user chose an active schedule


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


class BulkPreferenceTopic(_View):
    """Courier's ``BulkPreferenceTopic``: one choice a bulk call applied."""

    topic_id: str
    status: Literal["OPTED_IN", "OPTED_OUT"]
    has_custom_routing: bool
    custom_routing: list[CourierChannel]


class BulkPreferencesRequest(_View):
    """``PUT`` and ``POST /users/{user_id}/preferences`` request body (up to 50 topics)."""

    topics: list[dict[str, Any]]


class BulkPreferencesReplaced(_View):
    """``PUT /users/{user_id}/preferences``: the user's choices now, and those forgotten."""

    deleted: list[str]
    items: list[BulkPreferenceTopic]


class BulkPreferenceError(_View):
    topic_id: str
    reason: str


class BulkPreferencesUpdated(_View):
    """``POST /users/{user_id}/preferences``: the choices stored, and those refused."""

    errors: list[BulkPreferenceError]
    items: list[BulkPreferenceTopic]


class TopicView(_View):
    """A workspace's subscription topic (Herald's API: Courier edits them in its web app)."""

    topic_id: str
    topic_name: str
    default_status: PreferenceStatus
    allowed_channels: list[CourierChannel]
    digest: TopicDigest | None = None
    section_id: str | None = None  # the preference section that groups it, if one does


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
    routing_strategy_id: str | None = None
    subscription_topic_id: str | None = None
    brand_id: str | None = None
    locales: dict[str, Content | ElementalContent] = Field(default_factory=dict)
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


class TenantDefaultPreference(_View):
    """A tenant's default for one topic."""

    id: str
    status: PreferenceStatus
    has_custom_routing: bool
    custom_routing: list[CourierChannel]


class TenantDefaultPreferences(_View):
    items: list[TenantDefaultPreference]


class TenantView(_View):
    """Courier's ``Tenant``."""

    id: str
    name: str
    brand_id: str | None
    parent_tenant_id: str | None
    default_preferences: TenantDefaultPreferences | None
    properties: dict[str, Any] | None
    user_profile: dict[str, Any] | None


class _CourierList(_View):
    type: Literal["list"]
    url: str
    has_more: bool
    cursor: str | None
    next_url: str | None


class TenantPage(_CourierList):
    """``GET /tenants``."""

    items: list[TenantView]


class TenantAssociationView(_View):
    """Courier's ``TenantAssociation``: a user in a tenant."""

    tenant_id: str
    user_id: str
    type: Literal["user"]
    profile: dict[str, Any] | None


class TenantAssociationPage(_CourierList):
    """``GET /tenants/{tenant_id}/users`` and ``GET /users/{user_id}/tenants``."""

    items: list[TenantAssociationView]


class TokenView(_View):
    """Courier's ``UserToken`` with its status (``failed``: FCM no longer knows it)."""

    token: str
    provider_key: Literal["firebase-fcm", "apn", "expo", "onesignal"]
    device: dict[str, Any] | None
    expiry_date: str | bool | None
    properties: Any
    tracking: dict[str, Any] | None
    status: Literal["active", "unknown", "failed", "revoked"]
    status_reason: str | None


class TokenList(_View):
    """``GET /users/{user_id}/tokens``."""

    tokens: list[TokenView]


class AudienceView(_View):
    """Courier's ``Audience``; times are ISO 8601."""

    id: str
    name: str
    description: str
    filter: AudienceFilter
    operator: Literal["AND", "OR"] | None
    created_at: str
    updated_at: str


class AudienceUpdated(_View):
    """``PUT /audiences/{audience_id}``."""

    audience: AudienceView


class AudiencePage(_View):
    """``GET /audiences``."""

    items: list[AudienceView]
    paging: Paging


class AudienceMember(_View):
    """A profile matching an audience's filter (Courier's member item)."""

    added_at: str
    audience_id: str
    audience_version: int
    member_id: str
    reason: str


class AudienceMemberPage(_View):
    """``GET /audiences/{audience_id}/members``."""

    items: list[AudienceMember]
    paging: Paging


class BulkJobCreated(_View):
    """``POST /bulk``."""

    job_id: str = Field(alias="jobId")


class BulkJobView(_View):
    """Courier's bulk job: its message, counts and status."""

    definition: dict[str, Any]
    enqueued: int
    failures: int
    received: int
    status: Literal["CREATED", "PROCESSING", "COMPLETED", "ERROR"]


class BulkJobAnswer(_View):
    """``GET /bulk/{job_id}``."""

    job: BulkJobView


class BulkUserView(_View):
    """A job's user as added, with its status and, once enqueued, its message."""

    recipient: str | None
    to: dict[str, Any] | None
    data: dict[str, Any] | None
    profile: dict[str, Any] | None
    preferences: dict[str, Any] | None
    status: Literal["PENDING", "ENQUEUED", "ERROR"]
    message_id: str | None = Field(alias="messageId")


class BulkUserPage(_View):
    """``GET /bulk/{job_id}/users``."""

    items: list[BulkUserView]
    paging: Paging


class AuditActor(_View):
    """Who made the change: ``api_key:<key id>``, or ``operator`` for a ``herald`` command."""

    id: str


class AuditEventView(_View):
    """Courier's ``AuditEvent``."""

    audit_event_id: str = Field(alias="auditEventId")
    type: str
    target: str
    actor: AuditActor
    source: str
    timestamp: str


class AuditEventPage(_View):
    """``GET /audit-events``."""

    results: list[AuditEventView]
    paging: Paging
