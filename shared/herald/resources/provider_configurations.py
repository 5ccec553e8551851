"""Courier's provider configurations (``/providers``) and catalog (``/providers/catalog``).

A configuration is stored at ``providers/{id}`` with its settings as the catalog
describes them; a secret setting is written, never answered back. Herald maps the
configurations onto its own provider settings: the providers configured for a channel,
in the order they were configured, become the workspace's failover order for that
channel (what ``herald providers`` sets too; the last change wins). Herald sends with
the deployment's credentials: a configuration's settings are kept, not used to send.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.catalog import COURIER_CHANNEL, PROVIDER_CATALOG, PROVIDER_CHANNELS, CatalogEntry
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.resources.audit_events import audit_entry
from herald.resources.parsing import page_of, paging, parse_body
from herald.store.base import WorkspaceRepository
from herald.store.documents import DocPath, Document, DocumentStore

CONFIGURATIONS: DocPath = ("providers",)
MAX_CONFIGURATIONS = 50  # per workspace
MAX_SETTING_CHARS = 4096  # a service account's JSON fits
DEFAULT_TITLE = "Default Configuration"
REDACTED = "********"


def configuration_path(configuration_id: str) -> DocPath:
    return (*CONFIGURATIONS, configuration_id)


def courier_channel(provider: str) -> str:
    channel = PROVIDER_CHANNELS[provider]
    return COURIER_CHANNEL.get(channel, channel)


def _known(provider: str) -> str:
    if provider not in PROVIDER_CATALOG:
        raise ValueError(
            f"Herald has no provider {provider!r}: one of {', '.join(PROVIDER_CATALOG)}"
            " (GET /providers/catalog)"
        )
    return provider


class ProviderBody(BaseModel):
    """``POST /providers`` and ``PUT /providers/{id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = Field(max_length=64)
    title: str | None = Field(default=None, max_length=200)
    alias: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict, max_length=20)

    _provider = field_validator("provider")(classmethod(lambda cls, v: _known(v)))


class ProviderPatch(BaseModel):
    """``PATCH /providers/{id}``: ``settings`` merged as JSON Merge Patch (RFC 7396)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=200)
    alias: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] | None = Field(default=None, max_length=20)


def check_settings(provider: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings, each checked against the provider's catalog entry."""
    entry = PROVIDER_CATALOG[provider]
    errors: list[FieldError] = []
    for name, value in settings.items():
        where = f"settings.{name}"
        if name == "rate_limit":
            if value is not None:  # Herald's rates are the deployment's
                errors.append(FieldError(where, "not yet: set HERALD_RATE_LIMITS instead"))
            continue
        descriptor = entry.settings.get(name)
        if descriptor is None:
            known = ", ".join(entry.settings) or "none"
            errors.append(FieldError(where, f"{provider} takes no such setting (known: {known})"))
        elif descriptor.type == "boolean" and not isinstance(value, bool):
            errors.append(FieldError(where, "must be true or false"))
        elif descriptor.type != "boolean" and not isinstance(value, str):
            errors.append(FieldError(where, "must be a string"))
        elif isinstance(value, str) and len(value) > MAX_SETTING_CHARS:
            errors.append(FieldError(where, f"is longer than {MAX_SETTING_CHARS} characters"))
        elif descriptor.values and value not in descriptor.values:
            errors.append(FieldError(where, f"must be one of {', '.join(descriptor.values)}"))
    for name, descriptor in entry.settings.items():
        if descriptor.required and name not in settings:
            errors.append(FieldError(f"settings.{name}", f"{provider} requires it"))
    if errors:
        raise ValidationFailed(errors)
    return {name: value for name, value in settings.items() if value is not None}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def configuration_view(stored: Document) -> dict[str, Any]:
    """Courier's ``Provider``: secret settings answered as ``********``."""
    secrets = {n for n, d in PROVIDER_CATALOG[stored["provider"]].settings.items() if d.secret}
    view: dict[str, Any] = {
        "id": stored["id"],
        "provider": stored["provider"],
        "title": stored["title"],
        "settings": {
            name: REDACTED if name in secrets else value
            for name, value in stored["settings"].items()
        },
        "created": stored["created"],
        "updated": stored["updated"],
    }
    if stored.get("alias") is not None:
        view["alias"] = stored["alias"]
    return view


def catalog_view(provider: str, entry: CatalogEntry) -> dict[str, Any]:
    """Courier's ``ProvidersCatalogEntry``."""
    return {
        "provider": provider,
        "name": entry.name,
        "channel": courier_channel(provider),
        "description": entry.description,
        "settings": {
            name: {"type": d.type, "required": d.required}
            | ({"values": list(d.values)} if d.values else {})
            for name, d in entry.settings.items()
        },
    }


def catalog(query: Mapping[str, str]) -> dict[str, Any]:
    """Herald's providers, filtered as Courier's catalog is: ``channel`` (exact, any case),
    ``keys`` (comma-separated), ``name`` (a part of it, any case)."""
    channel = (query.get("channel") or "").lower()
    keys = {k.strip() for k in (query.get("keys") or "").split(",") if k.strip()}
    name = (query.get("name") or "").lower()
    results = [
        catalog_view(provider, entry)
        for provider, entry in PROVIDER_CATALOG.items()
        if (not channel or courier_channel(provider) == channel)
        and (not keys or provider in keys)
        and name in entry.name.lower()
    ]
    return {"results": results, "paging": paging(None)}


class ProviderConfigurations:
    """A workspace's configurations; each change audited as ``providers.updated`` and
    mapped onto the workspace's provider settings."""

    def __init__(
        self, documents: DocumentStore, workspaces: WorkspaceRepository, actor: str
    ) -> None:
        self.documents = documents
        self.workspaces = workspaces
        self.actor = actor

    def _stored(self, workspace: str, configuration_id: str) -> Document:
        stored = self.documents.get(workspace, configuration_path(configuration_id))
        if stored is None:
            raise NotFound(f"no provider configuration {configuration_id}")
        return stored

    def _all(self, workspace: str) -> list[Document]:
        return [
            doc
            for _, doc in self.documents.page(workspace, CONFIGURATIONS, None, MAX_CONFIGURATIONS)
        ]

    def _write(self, workspace: str, stored: Document | None, deleted: str | None = None) -> None:
        target = f"provider:{stored['id'] if stored else deleted}"
        audit = audit_entry("providers.updated", target, self.actor, "api")
        puts = [audit] + ([(configuration_path(stored["id"]), stored)] if stored else [])
        deletes = [configuration_path(deleted)] if deleted else []
        self.documents.write_all(workspace, puts, deletes)
        self._map_onto_settings(workspace)

    def _map_onto_settings(self, workspace: str) -> None:
        """Each channel's configured providers, oldest first, become its failover order."""
        configured = sorted(self._all(workspace), key=lambda doc: (doc["created"], doc["id"]))
        by_channel: dict[str, list[str]] = {}
        for doc in configured:
            chosen = by_channel.setdefault(PROVIDER_CHANNELS[doc["provider"]], [])
            if doc["provider"] not in chosen:
                chosen.append(doc["provider"])
        settings = self.workspaces.settings(workspace)
        for channel in set(PROVIDER_CHANNELS.values()):
            if channel in by_channel:
                settings.providers[channel] = by_channel[channel]
            else:
                settings.providers.pop(channel, None)
        # Audited in the batch that changed the configurations (``_write``).
        self.workspaces.save_settings(workspace, settings)

    def create(self, workspace: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(ProviderBody, body)
        settings = check_settings(parsed.provider, parsed.settings)
        if self.documents.count(workspace, CONFIGURATIONS, MAX_CONFIGURATIONS) >= (
            MAX_CONFIGURATIONS
        ):
            raise ValidationFailed.of(
                "provider", f"a workspace has at most {MAX_CONFIGURATIONS} configurations"
            )
        at = now_ms()
        stored = {
            "id": uuid.uuid4().hex,
            "provider": parsed.provider,
            "title": parsed.title or DEFAULT_TITLE,
            "alias": parsed.alias,
            "settings": settings,
            "created": at,
            "updated": at,
        }
        self._write(workspace, stored)
        return configuration_view(stored)

    def get(self, workspace: str, configuration_id: str) -> dict[str, Any]:
        return configuration_view(self._stored(workspace, configuration_id))

    def find(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        return page_of(
            self.documents,
            workspace,
            CONFIGURATIONS,
            cursor,
            "results",
            lambda _id, doc: configuration_view(doc),
        )

    def replace(self, workspace: str, configuration_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(ProviderBody, body)
        current = self._stored(workspace, configuration_id)
        _same_provider(current, parsed.provider)
        stored = {
            **current,
            "title": parsed.title or DEFAULT_TITLE,
            "alias": parsed.alias,
            "settings": check_settings(parsed.provider, parsed.settings),
            "updated": now_ms(),
        }
        self._write(workspace, stored)
        return configuration_view(stored)

    def patch(self, workspace: str, configuration_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(ProviderPatch, body)
        given = body if isinstance(body, dict) else {}
        current = self._stored(workspace, configuration_id)
        if parsed.provider is not None:
            _same_provider(current, parsed.provider)
        stored = {**current, "updated": now_ms()}
        if parsed.title is not None:
            stored["title"] = parsed.title
        if "alias" in given:
            stored["alias"] = parsed.alias
        if parsed.settings is not None:
            merged = merge_patch(current["settings"], parsed.settings)
            stored["settings"] = check_settings(current["provider"], merged)
        self._write(workspace, stored)
        return configuration_view(stored)

    def delete(self, workspace: str, configuration_id: str) -> None:
        self._stored(workspace, configuration_id)
        self._write(workspace, None, deleted=configuration_id)


def _same_provider(current: Document, provider: str) -> None:
    if provider != current["provider"]:
        raise ValidationFailed.of(
            "provider",
            f"is {current['provider']!r} for this configuration: create another to use"
            f" {provider!r}",
        )
