"""Courier's routing strategies: a named ``routing``, ``channels`` and ``providers`` that
templates share.

A strategy is stored at ``routing_strategies/{id}`` as given; its three parts are
checked as a send's are, by the send's own model. A template names one in
``routing_strategy_id``; a send of that template without its own ``routing`` takes
the strategy's (see ``with_routing_strategy``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from herald.clock import now_ms
from herald.domain.send import Message, SendRequest
from herald.errors import FieldError, InUse, NotFound, ValidationFailed
from herald.resources.parsing import page_limit, parse_body
from herald.resources.validation import field_errors
from herald.store.documents import DocPath, Document, DocumentStore

STRATEGIES: DocPath = ("routing_strategies",)
MAX_SCANNED_TEMPLATES = 1000  # templates one GET .../notifications reads
ROUTED_PARTS = ("routing", "channels", "providers")


def strategy_path(strategy_id: str) -> DocPath:
    return (*STRATEGIES, strategy_id)


class StrategyBody(BaseModel):
    """``POST /routing-strategies`` and ``PUT /routing-strategies/{id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    tags: list[str] | None = Field(default=None, max_length=20)
    # As a send's ``routing``, ``channels`` and ``providers``: checked by the send's model.
    routing: dict[str, Any]
    channels: dict[str, Any] | None = None
    providers: dict[str, Any] | None = None


def _as_send(parts: Mapping[str, Any]) -> Message:
    """The parts as a send's message, checked as a send's are (a 400 naming the part)."""
    probe = {
        "to": {"user_id": "strategy"},
        "content": {"body": "strategy"},
        **{part: parts[part] for part in ROUTED_PARTS if parts.get(part) is not None},
    }
    try:
        return SendRequest.model_validate({"message": probe}).message
    except ValidationError as exc:
        errors = [
            FieldError(e.field.removeprefix("message."), e.reason)
            for e in field_errors(exc, to_is_list=False)
        ]
        raise ValidationFailed(errors) from exc


def summary_view(stored: Document) -> dict[str, Any]:
    """Courier's ``RoutingStrategySummary``."""
    view = {
        key: stored[key]
        for key in ("id", "name", "created", "creator", "updated", "updater")
        if stored.get(key) is not None
    }
    for key in ("description", "tags"):
        if stored.get(key) is not None:
            view[key] = stored[key]
    return view


def strategy_view(stored: Document) -> dict[str, Any]:
    """Courier's ``RoutingStrategyGetResponse``: the summary and the three parts."""
    return {
        **summary_view(stored),
        "routing": stored["routing"],
        "channels": stored.get("channels") or {},
        "providers": stored.get("providers") or {},
    }


def _page(
    documents: DocumentStore, workspace: str, collection: DocPath, query: Mapping[str, str]
) -> tuple[list[tuple[str, Document]], dict[str, Any]]:
    limit = page_limit(query)
    page = documents.page(workspace, collection, query.get("cursor") or None, limit)
    more = len(page) == limit
    return page, {"cursor": page[-1][0] if more else None, "more": more}


class RoutingStrategyService:
    def __init__(self, documents: DocumentStore, actor: str) -> None:
        self.documents = documents
        self.actor = actor

    def create(self, workspace: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(StrategyBody, body)
        _as_send(parsed.model_dump())
        at = now_ms()
        strategy_id = f"rs_{uuid.uuid4().hex}"
        stored = {
            **parsed.model_dump(exclude_none=True),
            "id": strategy_id,
            "created": at,
            "creator": self.actor,
        }
        self.documents.put(workspace, strategy_path(strategy_id), stored)
        return strategy_view(stored)

    def _stored(self, workspace: str, strategy_id: str) -> Document:
        stored = self.documents.get(workspace, strategy_path(strategy_id))
        if stored is None:
            raise NotFound(f"no routing strategy {strategy_id}")
        return stored

    def get(self, workspace: str, strategy_id: str) -> dict[str, Any]:
        return strategy_view(self._stored(workspace, strategy_id))

    def find(self, workspace: str, query: Mapping[str, str]) -> dict[str, Any]:
        page, paging = _page(self.documents, workspace, STRATEGIES, query)
        return {"results": [summary_view(doc) for _, doc in page], "paging": paging}

    def replace(self, workspace: str, strategy_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(StrategyBody, body)
        _as_send(parsed.model_dump())
        current = self._stored(workspace, strategy_id)
        # A replace clears what it omits, as Courier's does.
        stored = {
            **parsed.model_dump(exclude_none=True),
            "id": strategy_id,
            "created": current["created"],
            "creator": current["creator"],
            "updated": now_ms(),
            "updater": self.actor,
        }
        self.documents.put(workspace, strategy_path(strategy_id), stored)
        return strategy_view(stored)

    def archive(self, workspace: str, strategy_id: str) -> None:
        self._stored(workspace, strategy_id)
        if users := self._templates_using(workspace, strategy_id, limit=1, drafts=True):
            raise InUse(
                f"routing strategy {strategy_id} is used by template {users[0][0]}:"
                " give the template another routing first"
            )
        self.documents.delete(workspace, strategy_path(strategy_id))

    def _templates_using(
        self, workspace: str, strategy_id: str, limit: int, drafts: bool = False
    ) -> list[tuple[str, Document]]:
        """Templates whose published body names the strategy; with ``drafts``, also those
        whose unpublished draft does (publishing it would name the strategy)."""

        def names(template: Document) -> bool:
            draft = template.get("draft") if drafts else None
            named = {template.get("routing_strategy_id"), (draft or {}).get("routing_strategy_id")}
            return strategy_id in named

        found: list[tuple[str, Document]] = []
        after: str | None = None
        scanned = 0
        while scanned < MAX_SCANNED_TEMPLATES and (
            page := self.documents.page(workspace, ("templates",), after, 100)
        ):
            scanned += len(page)
            found.extend(t for t in page if names(t[1]))
            if len(found) >= limit:
                return found[:limit]
            after = page[-1][0]
        return found

    def notifications(
        self, workspace: str, strategy_id: str, query: Mapping[str, str]
    ) -> dict[str, Any]:
        """The templates that name the strategy (of the first 1000 templates, by id)."""
        self._stored(workspace, strategy_id)
        limit = page_limit(query)
        after = query.get("cursor") or None
        users = [
            (template_id, doc)
            for template_id, doc in self._templates_using(
                workspace, strategy_id, MAX_SCANNED_TEMPLATES
            )
            if after is None or template_id > after
        ]
        page, more = users[:limit], len(users) > limit
        return {
            "results": [_template_summary(template_id, doc) for template_id, doc in page],
            "paging": {"cursor": page[-1][0] if more else None, "more": more},
        }


def _template_summary(template_id: str, template: Document) -> dict[str, Any]:
    """Courier's ``NotificationTemplateSummary`` of a stored template (live: published)."""
    view: dict[str, Any] = {
        "id": template_id,
        "name": template.get("name") or template_id,
        "created": template.get("created", 0),
        "creator": template.get("creator", ""),
        "state": "PUBLISHED",
        "tags": list(template.get("tags") or []),
    }
    if template.get("updated") is not None:
        view["updated"] = template["updated"]
    if topic := template.get("subscription_topic_id"):
        view["subscription_topic_id"] = view["topic_id"] = topic
    return view


def check_strategy_exists(
    documents: DocumentStore,
    workspace: str,
    strategy_id: str,
    field: str = "routing_strategy_id",
) -> None:
    """A template may name only a strategy the workspace has (a 400, not a failed send)."""
    if documents.get(workspace, strategy_path(strategy_id)) is None:
        raise ValidationFailed.of(field, f"no routing strategy {strategy_id!r} in this workspace")


def with_routing_strategy(
    documents: DocumentStore, workspace: str, request: SendRequest, template: Document | None
) -> SendRequest:
    """The send with its template's routing strategy applied, where it has none of its own.

    The send's own ``routing`` wins over the strategy and the template; its own
    ``channels`` and ``providers`` each win over the strategy's as a whole.
    """
    message = request.message
    strategy_id = (template or {}).get("routing_strategy_id")
    if message.routing is not None or not strategy_id:
        return request
    stored = documents.get(workspace, strategy_path(strategy_id))
    if stored is None:  # archived while the template still named it: refused, never dropped
        raise ValidationFailed.of(
            "message.template",
            f"template {message.template!r} names routing strategy {strategy_id!r},"
            " which this workspace no longer has",
        )
    own = message.model_dump(mode="json", include={"channels", "providers"}, exclude_none=True)
    # Checked together, as one send's would be: the strategy's routing may name a provider.
    routed = _as_send({**stored, **own})
    update = {part: getattr(routed, part) for part in ROUTED_PARTS}
    return request.model_copy(update={"message": message.model_copy(update=update)})
