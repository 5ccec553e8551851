"""Courier's tenant templates: a tenant's own version of a workspace template.

``tenants/{tenant}/templates/{template}`` holds the template's numbered versions
(``versions/v1``, ``v2``, ...: each ``PUT`` saves a new one) and which of them is
published. A send of the template in the tenant's context (``context.tenant_id``, or
a recipient's ``tenant_id``) renders the published version's Elemental content, and
takes its routing where the send has none of its own (``tenant_template_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from herald.clock import now_ms
from herald.domain.send import ElementalContent, Routing
from herald.errors import NotFound
from herald.resources.parsing import iso, page_limit, parse_body
from herald.resources.tenants import tenant_path
from herald.store.documents import DocPath, Document, DocumentStore

MAX_TENANT_TEMPLATE_BODY = 256 * 1024  # as a workspace template's
KEPT_VERSIONS = 20  # the newest versions kept, with the published one


def templates_path(tenant_id: str) -> DocPath:
    return (*tenant_path(tenant_id), "templates")


def tenant_template_path(tenant_id: str, template_id: str) -> DocPath:
    return (*templates_path(tenant_id), template_id)


def version_path(tenant_id: str, template_id: str, number: int) -> DocPath:
    return (*tenant_template_path(tenant_id, template_id), "versions", f"v{number}")


class TenantTemplateInput(BaseModel):
    """Courier's ``TenantTemplateInput``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: ElementalContent
    routing: Routing | None = None
    # Not yet: a send's channel and provider settings are fixed when it is accepted, and a
    # tenant template is read when it is rendered. Refused rather than ignored.
    channels: None = None
    providers: None = None

    @field_validator("channels", "providers", mode="before")
    @classmethod
    def _not_yet(cls, value: Any) -> None:
        if value is not None:
            raise ValueError("not yet in a tenant template: give the send its own")
        return None

    @field_validator("routing")
    @classmethod
    def _channels_only(cls, routing: Routing | None) -> Routing | None:
        if routing is not None and (named := routing.providers_named()):
            channel, providers = next(iter(named.items()))
            raise ValueError(
                f"names provider {providers[0]!r}: a template routes by channel ({channel})"
            )
        return routing


class TenantTemplateBody(BaseModel):
    """``PUT /tenants/{tenant_id}/templates/{template_id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: TenantTemplateInput
    published: bool = False


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = "latest"


def _association(stored: Document, number: int, version: Document) -> dict[str, Any]:
    """Courier's ``BaseTemplateTenantAssociation`` of one version; ``published_at`` is when
    the template was last published, empty if it never was."""
    return {
        "id": stored["id"],
        "version": f"v{number}",
        "created_at": iso(stored["created_at"]),
        "updated_at": iso(version["saved_at"]),
        "published_at": iso(stored.get("published_at")) or "",
    }


class TenantTemplateService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def _tenant_and_template(self, workspace: str, tenant_id: str, template_id: str) -> None:
        tenant, template = self.documents.get_many(
            workspace, [tenant_path(tenant_id), ("templates", template_id)]
        )
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id}")
        if template is None:
            raise NotFound(f"no template {template_id}: a tenant template overrides one")

    def _stored(self, workspace: str, tenant_id: str, template_id: str) -> Document:
        stored = self.documents.get(workspace, tenant_template_path(tenant_id, template_id))
        if stored is None:
            raise NotFound(f"tenant {tenant_id} has no template {template_id}")
        return stored

    def _number(self, stored: Document, version: str) -> int:
        """``latest``, ``published`` or ``vN``, as a version number the template has."""
        if version == "latest":
            return int(stored["latest"])
        if version == "published":
            if stored.get("published_version") is None:
                raise NotFound(f"template {stored['id']} has no published version")
            return int(stored["published_version"])
        digits = version.removeprefix("v")
        if not digits.isdigit() or not 1 <= int(digits) <= stored["latest"]:
            raise NotFound(f"template {stored['id']} has no version {version}")
        return int(digits)

    def _version(self, workspace: str, tenant_id: str, stored: Document, number: int) -> Document:
        found = self.documents.get(workspace, version_path(tenant_id, stored["id"], number))
        if found is None:  # pruned: only the newest and the published are kept
            raise NotFound(f"template {stored['id']} no longer keeps version v{number}")
        return found

    def replace(
        self, workspace: str, tenant_id: str, template_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(TenantTemplateBody, body)
        from herald.elemental import parse_elemental

        parse_elemental(parsed.template.content.model_dump(mode="json"), "template.content")
        self._tenant_and_template(workspace, tenant_id, template_id)
        current = self.documents.get(workspace, tenant_template_path(tenant_id, template_id))
        at = now_ms()
        number = int((current or {}).get("latest", 0)) + 1
        stored: Document = {
            "id": template_id,
            "created_at": (current or {}).get("created_at", at),
            "updated_at": at,
            "latest": number,
            "published_version": (current or {}).get("published_version"),
            "published_at": (current or {}).get("published_at"),
        }
        if parsed.published:
            stored |= {"published_version": number, "published_at": at}
        version = {**parsed.template.model_dump(mode="json", exclude_none=True), "saved_at": at}
        pruned = number - KEPT_VERSIONS
        deletes = (
            [version_path(tenant_id, template_id, pruned)]
            if pruned >= 1 and pruned != stored["published_version"]
            else []
        )
        self.documents.write_all(
            workspace,
            [
                (tenant_template_path(tenant_id, template_id), stored),
                (version_path(tenant_id, template_id, number), version),
            ],
            deletes,
        )
        answer: dict[str, Any] = {"id": template_id, "version": f"v{number}"}
        if parsed.published:
            answer["published_at"] = iso(at)
        return answer

    def publish(
        self, workspace: str, tenant_id: str, template_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(PublishBody, body if body is not None else {})
        stored = self._stored(workspace, tenant_id, template_id)
        number = self._number(stored, parsed.version)
        self._version(workspace, tenant_id, stored, number)
        at = now_ms()
        self.documents.put(
            workspace,
            tenant_template_path(tenant_id, template_id),
            {**stored, "published_version": number, "published_at": at, "updated_at": at},
        )
        return {"id": template_id, "version": f"v{number}", "published_at": iso(at)}

    def get(
        self, workspace: str, tenant_id: str, template_id: str, version: str = "latest"
    ) -> dict[str, Any]:
        stored = self._stored(workspace, tenant_id, template_id)
        number = self._number(stored, version)
        return _association(stored, number, self._version(workspace, tenant_id, stored, number))

    def find(self, workspace: str, tenant_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        if self.documents.get(workspace, tenant_path(tenant_id)) is None:
            raise NotFound(f"no tenant {tenant_id}")
        limit = page_limit(query)
        page = self.documents.page(
            workspace, templates_path(tenant_id), query.get("cursor") or None, limit
        )
        versions = self.documents.get_many(
            workspace,
            [version_path(tenant_id, template_id, int(doc["latest"])) for template_id, doc in page],
        )
        items = [
            {
                **_association(doc, int(doc["latest"]), version),
                "data": {"routing": version.get("routing") or {"method": "single", "channels": []}},
            }
            for (_, doc), version in zip(page, versions, strict=True)
            if version is not None
        ]
        more = len(page) == limit
        url = f"/tenants/{tenant_id}/templates"
        answer: dict[str, Any] = {"type": "list", "url": url, "has_more": more, "items": items}
        if more:
            answer["cursor"] = page[-1][0]
            answer["next_url"] = f"{url}?cursor={page[-1][0]}&limit={limit}"
        return answer

    def delete(self, workspace: str, tenant_id: str, template_id: str) -> None:
        """The template and its versions: the tenant's sends use the workspace's again."""
        stored = self._stored(workspace, tenant_id, template_id)
        first = max(1, int(stored["latest"]) - KEPT_VERSIONS + 1)
        numbers = {*range(first, int(stored["latest"]) + 1), stored.get("published_version")}
        self.documents.write_all(
            workspace,
            [],
            [
                tenant_template_path(tenant_id, template_id),
                *(version_path(tenant_id, template_id, n) for n in numbers if n is not None),
            ],
        )


def tenant_template_for(
    documents: DocumentStore, workspace: str, tenant_id: str, template_id: str, template: Document
) -> Document:
    """The template as a send in the tenant's context renders it: the tenant's published
    version's content (for every channel and locale) and routing, else the template."""
    stored = documents.get(workspace, tenant_template_path(tenant_id, template_id))
    if stored is None or stored.get("published_version") is None:
        return template
    version = documents.get(
        workspace, version_path(tenant_id, template_id, int(stored["published_version"]))
    )
    if version is None:
        return template
    return {
        **template,
        "content": version["content"],
        "channels": {},
        "locales": {},
        "routing": version.get("routing") or template.get("routing"),
    }
