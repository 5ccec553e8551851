"""Stored templates: content per channel, sent by id (``message.template``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from herald.clock import now_ms
from herald.domain.send import (
    Channel,
    Content,
    ElementalContent,
    Routing,
    check_identifier,
    content_of,
)
from herald.errors import NotFound, ValidationFailed
from herald.locales import check_locale
from herald.resources.audit_events import AuditType, Source, audit_entry
from herald.resources.notifications import MAX_KEPT_VERSIONS, VERSIONS, publish_into
from herald.resources.parsing import page_of, parse_body
from herald.resources.routing_strategies import check_strategy_exists
from herald.store.documents import DocumentStore

# A template's body: content per channel, as much as a send's content may be.
MAX_TEMPLATE_BODY = 256 * 1024
MAX_TEMPLATE_LOCALES = 30  # locale variants of one template


class TemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", max_length=200)
    # The content for every channel, unless ``channels`` gives a channel its own.
    content: Content | ElementalContent
    channels: dict[Channel, Content | ElementalContent] = Field(default_factory=dict)
    routing: Routing | None = None
    # Courier's routing strategy (``/routing-strategies``), instead of ``routing``.
    routing_strategy_id: str | None = None
    subscription_topic_id: str | None = None
    brand_id: str | None = None
    # The content in other locales, for every channel: a message for ``pt-BR`` takes
    # the ``pt-BR`` variant, else the ``pt`` one, else ``content``/``channels``.
    locales: dict[str, Content | ElementalContent] = Field(
        default_factory=dict, max_length=MAX_TEMPLATE_LOCALES
    )

    _content_kind = field_validator("content", mode="before")(
        classmethod(lambda cls, v: content_of(v))
    )

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_content_kinds(cls, value: Any) -> Any:
        return {k: content_of(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("locales", mode="before")
    @classmethod
    def _locale_variants(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        variants = {}
        for key, content in value.items():
            try:
                tag = check_locale(key)
            except ValueError as exc:
                raise ValueError(f"{key!r} {exc}") from None
            assert tag is not None
            variants[tag] = content_of(content)
        return variants

    _ids = field_validator("subscription_topic_id", "brand_id", "routing_strategy_id")(
        classmethod(lambda cls, v: check_identifier(v))
    )

    @field_validator("routing")
    @classmethod
    def _channels_only(cls, routing: Routing | None) -> Routing | None:
        if routing is not None and (named := routing.providers_named()):
            channel, providers = next(iter(named.items()))
            raise ValueError(
                f"names provider {providers[0]!r}: a template routes by channel ({channel});"
                " a send pins providers"
            )
        return routing

    @model_validator(mode="after")
    def _one_routing(self) -> TemplateBody:
        if self.routing is not None and self.routing_strategy_id is not None:
            raise ValueError("give either routing or routing_strategy_id, not both")
        return self


def _check_syntax(field: str, content: Content | ElementalContent) -> None:
    """Template syntax errors are a 400 when the template is saved, not a failure later."""
    from herald import templating

    if isinstance(content, ElementalContent):
        from herald.elemental import parse_elemental

        parse_elemental(content.model_dump(mode="json"), field)
        return
    budget = templating.Budget()  # one for both, as when they are rendered
    for part in ("title", "body"):
        try:
            templating.compile_template(getattr(content, part), budget=budget)
        except templating.TemplateError as exc:
            raise ValidationFailed.of(f"{field}.{part}", str(exc)) from exc


# What the notifications API keeps beside a template's body (``resources.notifications``).
# Kept across a write of Herald's API, which does not carry them (its body carries
# ``routing_strategy_id``, so a write without one clears it).
_NOTIFICATION_FIELDS = ("tags", "version_count")
# Herald's view of a template: its body and times (``api.models_directory.TemplateView``).
_VIEW_FIELDS = (*TemplateBody.model_fields, "id", "created", "updated")


def template_view(template_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if k in _VIEW_FIELDS}


class TemplateService:
    """Templates; each change is written with its audit entry, by ``actor`` from ``source``."""

    def __init__(self, documents: DocumentStore, actor: str, source: Source = "api") -> None:
        self.documents = documents
        self.actor = actor
        self.source = source

    def put(self, workspace: str, template_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(TemplateBody, body)
        _check_syntax("content", parsed.content)
        for channel, content in parsed.channels.items():
            _check_syntax(f"channels.{channel}", content)
        for locale, content in parsed.locales.items():
            _check_syntax(f"locales.{locale}", content)
        if parsed.routing_strategy_id is not None:
            check_strategy_exists(self.documents, workspace, parsed.routing_strategy_id)
        at = now_ms()
        current = self.documents.get(workspace, ("templates", template_id)) or {}
        # Herald's API publishes as it writes: the body is the template's next version,
        # any draft of the notifications API is replaced, and its fields are kept.
        stored = {
            **{k: v for k, v in current.items() if k in _NOTIFICATION_FIELDS},
            "id": template_id,
            **parsed.model_dump(mode="json", exclude_none=True),
            "created": current.get("created", at),
            "creator": current.get("creator", self.actor),
            "updated": at,
            "updater": self.actor,
        }
        published, versions, dropped = publish_into(stored, at, self.actor)
        kind: AuditType = "template.updated" if current else "template.created"
        audit = audit_entry(kind, f"template:{template_id}", self.actor, self.source, at)
        self.documents.write_all(
            workspace, [(("templates", template_id), published), audit, *versions], dropped
        )
        return template_view(template_id, published)

    def get(self, workspace: str, template_id: str) -> dict[str, Any]:
        stored = self.documents.get(workspace, ("templates", template_id))
        if stored is None:
            raise NotFound(f"no template {template_id}")
        return template_view(template_id, stored)

    def find(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        return page_of(self.documents, workspace, ("templates",), cursor, "results", template_view)

    def delete(self, workspace: str, template_id: str) -> None:
        if self.documents.get(workspace, ("templates", template_id)) is None:
            raise NotFound(f"no template {template_id}")
        audit = audit_entry("template.deleted", f"template:{template_id}", self.actor, self.source)
        # Its kept versions go with it: a template made again under its id starts at v001.
        versions = ("templates", template_id, VERSIONS)
        kept = self.documents.page(workspace, versions, None, MAX_KEPT_VERSIONS)
        self.documents.write_all(
            workspace,
            [audit],
            [("templates", template_id), *((*versions, version) for version, _ in kept)],
        )
