"""Response bodies of the workspace's configuration APIs in Courier's shapes: preference
sections and their topics, routing strategies, providers and the provider catalog.

As in ``models_directory``, the services build plain dicts and a unit test validates
real answers against these models; keys are as Courier spells them (snake_case).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from herald.domain.audience import AllowedPreference, CourierChannel, PreferenceStatus
from herald.domain.views import Paging


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PreferenceTopicView(_View):
    """Courier's ``WorkspacePreferenceTopicGetResponse``: a topic of a section."""

    id: str
    name: str
    default_status: PreferenceStatus
    allowed_preferences: list[AllowedPreference]
    include_unsubscribe_header: bool
    routing_options: list[CourierChannel]
    topic_data: dict[str, Any]
    created: str
    updated: str
    description: str | None = None


class PreferenceTopicList(_View):
    """``GET /preferences/sections/{section_id}/topics``."""

    results: list[PreferenceTopicView]


class PreferenceSectionView(_View):
    """Courier's ``WorkspacePreferenceGetResponse``: a section, with its topics."""

    id: str
    name: str
    has_custom_routing: bool
    routing_options: list[CourierChannel]
    topics: list[PreferenceTopicView]
    created: str
    updated: str
    creator: str
    updater: str
    description: str | None = None


class PreferenceSectionList(_View):
    """``GET /preferences/sections``: every section, oldest first."""

    results: list[PreferenceSectionView]


class PreferenceValue(_View):
    status: PreferenceStatus
    has_custom_routing: bool
    custom_routing: list[CourierChannel]


class PreferenceChange(PreferenceValue):
    """Courier's ``PreferenceChangeLogEntry``: one change of a user's choice."""

    id: str
    user_id: str
    topic_id: str
    topic_name: str
    timestamp: str
    previous: PreferenceValue | None = None


class LogPaging(_View):
    more: bool
    cursor: str | None = None  # omitted on the last page


class PreferenceChangePage(_View):
    """``GET /preferences/logs``: newest first."""

    items: list[PreferenceChange]
    paging: LogPaging


class PreferencesPublished(_View):
    """``POST /preferences/publish``."""

    page_id: str
    published_at: str
    published_version: int
    published_by: str


class RoutingStrategySummary(_View):
    """Courier's ``RoutingStrategySummary``; times are epoch milliseconds."""

    id: str
    name: str
    created: int
    creator: str
    updated: int | None = None
    updater: str | None = None
    description: str | None = None
    tags: list[str] | None = None


class RoutingStrategyView(RoutingStrategySummary):
    """Courier's ``RoutingStrategyGetResponse``: as a send's ``routing``, ``channels`` and
    ``providers``."""

    routing: dict[str, Any]
    channels: dict[str, Any]
    providers: dict[str, Any]


class RoutingStrategyPage(_View):
    """``GET /routing-strategies``."""

    results: list[RoutingStrategySummary]
    paging: Paging


class StrategyTemplateSummary(_View):
    """Courier's ``NotificationTemplateSummary``: a template that names a strategy."""

    id: str
    name: str
    created: int
    creator: str
    state: Literal["DRAFT", "PUBLISHED"]
    tags: list[str]
    updated: int | None = None
    subscription_topic_id: str | None = None
    topic_id: str | None = None


class StrategyTemplatePage(_View):
    """``GET /routing-strategies/{id}/notifications``."""

    results: list[StrategyTemplateSummary]
    paging: Paging


class ProviderView(_View):
    """Courier's ``Provider``: a provider configuration; secret settings answered redacted."""

    id: str
    provider: str
    title: str
    settings: dict[str, Any]
    created: int
    updated: int
    alias: str | None = None


class ProviderPage(_View):
    """``GET /providers``."""

    results: list[ProviderView]
    paging: Paging


class CatalogSetting(_View):
    type: Literal["string", "boolean", "enum"]
    required: bool
    values: list[str] | None = None


class CatalogEntry(_View):
    """Courier's ``ProvidersCatalogEntry``: a provider Herald has, and its settings."""

    provider: str
    name: str
    channel: str
    description: str
    settings: dict[str, CatalogSetting]


class CatalogPage(_View):
    """``GET /providers/catalog``: every match, on one page."""

    results: list[CatalogEntry]
    paging: Paging


class TenantTemplateVersion(_View):
    """Courier's ``BaseTemplateTenantAssociation``: one version of a tenant's template;
    ``published_at`` is when the template was last published, empty if never."""

    id: str
    version: str
    created_at: str
    updated_at: str
    published_at: str


class TenantTemplateRouting(_View):
    routing: dict[str, Any]


class TenantTemplateItem(TenantTemplateVersion):
    data: TenantTemplateRouting


class TenantTemplateList(_View):
    """``GET /tenants/{tenant_id}/templates``: Courier's list shape."""

    type: Literal["list"]
    url: str
    has_more: bool
    items: list[TenantTemplateItem]
    cursor: str | None = None
    next_url: str | None = None


class TenantTemplateSaved(_View):
    """``PUT`` and ``POST .../publish`` of a tenant template."""

    id: str
    version: str
    published_at: str | None = None
