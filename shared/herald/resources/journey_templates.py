"""Courier's journey-scoped templates: notification templates kept for one journey.

They are notification templates like any other (``templates/{id}``, one model, the
notifications API's drafts, versions and publishing), marked with the journey they
belong to (``JOURNEY_SCOPE``): only that journey's send nodes may name them, and the
workspace's list and ``POST /send`` leave them out. Each carries one channel, its
content a single channel block for it. A journey lists its own through an index
(``journeys/{id}/templates/{template}``), written before the template itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from herald.errors import NotFound, ValidationFailed
from herald.resources.journeys import JourneyTemplates, journey_path
from herald.resources.notifications import (
    DRAFT,
    JOURNEY_SCOPE,
    TEMPLATES,
    NotificationService,
    State,
    is_published,
    new_template_id,
)
from herald.resources.parsing import DEFAULT_LIMIT, MAX_LIMIT, paging, parse_body
from herald.store.documents import DocPath, Document

MAX_CHANNEL_CHARS = 64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class JourneyTemplateBody(_Strict):
    """``POST /journeys/{id}/templates``: Courier's create, its one channel named."""

    channel: str = Field(min_length=1, max_length=MAX_CHANNEL_CHARS)
    notification: dict[str, Any]
    provider_key: str | None = Field(
        default=None, alias="providerKey", min_length=1, max_length=MAX_CHANNEL_CHARS
    )
    state: State = DRAFT


class JourneyTemplateReplace(_Strict):
    notification: dict[str, Any]
    state: State = DRAFT


def journey_template_index(journey_id: str, template_id: str) -> DocPath:
    return (*journey_path(journey_id), TEMPLATES, template_id)


def _one_channel_block(content: Any, channel: str, field: str) -> None:
    """Courier's rule: the content is exactly one channel block, for the template's channel."""
    elements = content.get("elements") if isinstance(content, dict) else None
    if not isinstance(elements, list) or len(elements) != 1:
        raise ValidationFailed.of(
            f"{field}.elements", f"must be exactly one channel block, for {channel!r}"
        )
    block = elements[0]
    if not isinstance(block, dict) or block.get("type") != "channel":
        raise ValidationFailed.of(f"{field}.elements[0].type", "must be channel")
    if block.get("channel") != channel:
        raise ValidationFailed.of(
            f"{field}.elements[0].channel", f"must be the template's channel, {channel!r}"
        )


def _notification(raw: dict[str, Any]) -> dict[str, Any]:
    # Courier's journey templates have no routing of their own.
    return {"routing": None, **raw}


class JourneyNotificationService:
    """The nine ``client.journeys.templates`` methods, over the notifications API."""

    def __init__(self, notifications: NotificationService) -> None:
        self.notifications = notifications
        self.documents = notifications.documents
        self.journeys = JourneyTemplates(notifications.documents)

    def _scoped(self, workspace: str, journey_id: str, template_id: str) -> Document:
        """The journey's template; another journey's (or the workspace's) is a 404 here."""
        self.journeys.stored(workspace, journey_id)
        stored = self.documents.get(workspace, (TEMPLATES, template_id))
        if stored is None or (stored.get(JOURNEY_SCOPE) or {}).get("id") != journey_id:
            raise NotFound(f"journey {journey_id} has no template {template_id}")
        return stored

    def create(self, workspace: str, journey_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(JourneyTemplateBody, body)
        self.journeys.stored(workspace, journey_id)
        _one_channel_block(
            parsed.notification.get("content"), parsed.channel, "notification.content"
        )
        template_id = new_template_id()
        scope = {"id": journey_id, "channel": parsed.channel}
        if parsed.provider_key is not None:
            scope["provider_key"] = parsed.provider_key
        # Listed first: a crash before the template leaves an entry the list skips.
        self.documents.put(workspace, journey_template_index(journey_id, template_id), {})
        return self.notifications.create(
            workspace,
            {"notification": _notification(parsed.notification), "state": parsed.state},
            template_id=template_id,
            scope={JOURNEY_SCOPE: scope},
        )

    def retrieve(self, workspace: str, journey_id: str, template_id: str) -> dict[str, Any]:
        stored = self._scoped(workspace, journey_id, template_id)
        # The published version, as Courier answers; a template never published, its draft.
        version = "published" if is_published(stored) else "draft"
        return self.notifications.view(workspace, stored, version)

    def replace(
        self, workspace: str, journey_id: str, template_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(JourneyTemplateReplace, body)
        stored = self._scoped(workspace, journey_id, template_id)
        channel = stored[JOURNEY_SCOPE]["channel"]
        _one_channel_block(parsed.notification.get("content"), channel, "notification.content")
        return self.notifications.replace(
            workspace,
            template_id,
            {"notification": _notification(parsed.notification), "state": parsed.state},
        )

    def find(
        self, workspace: str, journey_id: str, cursor: str | None, limit: str | None
    ) -> dict[str, Any]:
        self.journeys.stored(workspace, journey_id)
        size = _limit(limit)
        page = self.documents.page(workspace, (*journey_path(journey_id), TEMPLATES), cursor, size)
        found = self.documents.get_many(workspace, [(TEMPLATES, doc_id) for doc_id, _ in page])
        results = [
            _summary(template)
            for template in found
            if template is not None and "archived" not in template
        ]
        more = len(page) == size
        return {"results": results, "paging": paging(page[-1][0] if more else None)}

    def archive(self, workspace: str, journey_id: str, template_id: str) -> None:
        self._scoped(workspace, journey_id, template_id)
        self.notifications.archive(workspace, template_id)

    def list_versions(self, workspace: str, journey_id: str, template_id: str) -> dict[str, Any]:
        self._scoped(workspace, journey_id, template_id)
        return self.notifications.list_versions(workspace, template_id, None, None)

    def publish(self, workspace: str, journey_id: str, template_id: str, body: Any) -> None:
        self._scoped(workspace, journey_id, template_id)
        self.notifications.publish(workspace, template_id, body)

    def retrieve_content(
        self, workspace: str, journey_id: str, template_id: str, version: str | None
    ) -> dict[str, Any]:
        self._scoped(workspace, journey_id, template_id)
        return self.notifications.retrieve_content(workspace, template_id, version)

    def put_content(
        self, workspace: str, journey_id: str, template_id: str, body: Any
    ) -> dict[str, Any]:
        stored = self._scoped(workspace, journey_id, template_id)
        content = body.get("content") if isinstance(body, dict) else None
        _one_channel_block(content, stored[JOURNEY_SCOPE]["channel"], "content")
        return self.notifications.put_content(workspace, template_id, body)

    def put_locale(
        self, workspace: str, journey_id: str, template_id: str, locale_id: str, body: Any
    ) -> dict[str, Any]:
        self._scoped(workspace, journey_id, template_id)
        return self.notifications.put_locale(workspace, template_id, locale_id, body)


def _limit(limit: str | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise ValidationFailed.of("limit", f"is a whole number from 1 to {MAX_LIMIT}")
    return int(limit)


def _summary(template: Document) -> dict[str, Any]:
    """Courier's ``JourneyTemplateSummary``: the working copy's name and tags."""
    working = template.get("draft") or template
    summary: dict[str, Any] = {
        "id": template["id"],
        "name": working.get("name", ""),
        "tags": working.get("tags", []),
        "state": template.get("state", DRAFT),
        "created": template["created"],
        "creator": template.get("creator", ""),
        "updated": template["updated"],
    }
    if "updater" in template:
        summary["updater"] = template["updater"]
    return summary
