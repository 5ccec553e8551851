"""Response bodies of Courier's notifications API (Herald's templates) and broadcasts, as
models: the OpenAPI document publishes their schemas, and a unit test validates real
answers against them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.domain.views import Paging

TemplateState = Literal["DRAFT", "PUBLISHED"]


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Ref(_View):
    id: str


class _StrategyRef(_View):
    strategy_id: str


class _TopicRef(_View):
    topic_id: str


class NotificationElemental(_View):
    version: str
    elements: list[dict[str, Any]]


class NotificationView(_View):
    """A notification template (times in epoch milliseconds): ``POST /notifications``, ``GET`` and ``PUT /notifications/{id}``."""

    id: str
    name: str
    tags: list[str]
    brand: _Ref | None
    routing: _StrategyRef | None
    subscription: _TopicRef | None
    content: NotificationElemental
    state: TemplateState
    created: int
    creator: str
    updated: int
    updater: str | None = None


class NotificationSummary(_View):
    id: str
    name: str
    tags: list[str]
    state: TemplateState
    created: int
    creator: str
    updated: int
    updater: str | None = None
    subscription_topic_id: str | None = None
    topic_id: str | None = None


class NotificationPage(_View):
    """``GET /notifications``."""

    results: list[NotificationSummary]
    paging: Paging


class VersionNode(_View):
    version: str = Field(description='"draft", "published:vNNN" or "vNNN"')
    created: int
    creator: str
    has_changes: bool | None = None


class VersionPage(_View):
    """``GET /notifications/{id}/versions``: the newest first."""

    versions: list[VersionNode]
    paging: Paging


class ElementChecksum(_View):
    id: str
    checksum: str


class ContentMutation(_View):
    """``PUT`` of a notification's content, one element, or one locale."""

    id: str
    elements: list[ElementChecksum]
    state: TemplateState
    version: str


class NotificationContent(_View):
    """``GET /notifications/{id}/content``: each element with its checksum (an MD5 of
    its own fields) and each of its locales' checksums."""

    version: str
    elements: list[dict[str, Any]]


class BroadcastScheduleView(_View):
    recipient_id: str
    recipient_type: Literal["list", "audience"]
    scheduled_to: str | None = None
    timezone: str | None = None


class BroadcastView(_View):
    """A broadcast; times are ISO 8601, as Courier writes them here."""

    id: str
    name: str
    channel: Literal["email", "sms", "push", "inbox", "slack", "msteams"]
    status: Literal["draft", "scheduled", "sending", "sent"]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    schedule: BroadcastScheduleView | None = None
    archived_at: str | None = None
    archived_by: str | None = None


class BroadcastPage(_View):
    """``GET /broadcasts``: the newest first, archived ones left out."""

    results: list[BroadcastView]
    paging: Paging


class CheckView(_View):
    id: str
    status: Literal["RESOLVED", "FAILED", "PENDING"]
    type: Literal["custom"]
    updated: int


class CheckList(_View):
    """A template submission's checks."""

    checks: list[CheckView]


class JourneyTemplateSummary(_View):
    """Courier's ``JourneyTemplateSummary``: a journey's own template in its list."""

    id: str
    name: str
    tags: list[str]
    state: TemplateState
    created: int
    creator: str
    updated: int
    updater: str | None = None


class JourneyTemplatePage(_View):
    """``GET /journeys/{template_id}/templates``."""

    results: list[JourneyTemplateSummary]
    paging: Paging
