"""Courier's notifications API over Herald's templates: one store, one model.

A template document (``templates/{id}``) holds the published body, the one a send
renders, and beside it what the notifications API adds: ``tags``, who made and last
changed it, ``draft`` (the working copy, while it differs from what is published),
``published_version`` and ``archived``. A template never published holds its working
copy at the top level and no ``published_version``; a send refuses it. Each publish
is kept as ``templates/{id}/versions/vNNN`` (the latest ``MAX_KEPT_VERSIONS``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.send import ElementalContent, check_identifier
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.locales import check_locale
from herald.resources.audit_events import AuditType, Source, audit_entry
from herald.resources.parsing import PAGE_SIZE, paging, parse_body
from herald.resources.routing_strategies import check_strategy_exists
from herald.store.documents import DocPath, Document, DocumentStore

TEMPLATES = "templates"
# A template kept for one journey (Courier's journey-scoped templates) holds
# ``{"id": <journey>, "channel": ..., "provider_key": ...}`` under this key.
JOURNEY_SCOPE = "journey"
VERSIONS = "versions"
DRAFT: Final = "DRAFT"
PUBLISHED: Final = "PUBLISHED"
MAX_TAGS = 30
MAX_TAG_CHARS = 100
MAX_KEPT_VERSIONS = 50
MAX_VERSIONS_PAGE = 10
# A filtered list reads at most this many templates a page (it may answer a short page
# with ``more``), so a filter matching nothing costs a bounded read.
MAX_SCANNED = 1000
ELEMENTAL_VERSION = "2022-01-01"
_VERSION_ID = re.compile(r"v(\d{3,6})")
MAX_VERSION_ID_CHARS = 7


def _is_version_id(value: str) -> bool:
    return len(value) <= MAX_VERSION_ID_CHARS and _VERSION_ID.fullmatch(value) is not None


# The fields of a template its working copy holds, and those a publish records.
WORKING_FIELDS = (
    "name",
    "content",
    "tags",
    "brand_id",
    "subscription_topic_id",
    "routing_strategy_id",
)
PUBLISHED_FIELDS = (*WORKING_FIELDS, "channels", "routing", "locales")


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


State = Annotated[Literal["DRAFT", "PUBLISHED"], BeforeValidator(_upper)]
Identifier = Annotated[str, BeforeValidator(lambda v: check_identifier(v))]
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BrandRef(_Strict):
    id: Identifier


class RoutingRef(_Strict):
    strategy_id: Identifier


class SubscriptionRef(_Strict):
    topic_id: Identifier


class NotificationWrite(_Strict):
    """Courier's ``notification`` object of a create or a replace."""

    name: str = Field(max_length=200)
    content: ElementalContent
    tags: list[Tag] = Field(max_length=MAX_TAGS)
    brand: BrandRef | None
    routing: RoutingRef | None
    subscription: SubscriptionRef | None
    # Refused when set, rather than dropped: Herald sends a template by its id, and
    # its email headers come from the send's ``message.channels.email``.
    alias: str | None = None
    email: dict[str, Any] | None = None

    @field_validator("alias")
    @classmethod
    def _no_alias(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError("is not supported: a send names a template by its id")

    @field_validator("email")
    @classmethod
    def _no_email_headers(cls, value: dict[str, Any] | None) -> None:
        if value is not None:
            raise ValueError(
                "is not supported: give a send's email headers in message.channels.email"
            )


class NotificationBody(_Strict):
    notification: NotificationWrite
    state: State = DRAFT


class ContentBody(_Strict):
    content: ElementalContent
    state: State = DRAFT


class ElementBody(_Strict):
    type: str = Field(min_length=1, max_length=50)
    channels: list[str] | None = None
    data: dict[str, Any] | None = None
    if_: str | None = Field(default=None, alias="if")
    loop: str | None = None
    ref: str | None = None
    state: State = DRAFT


class LocaleBody(_Strict):
    # Each names an element of the content by ``id``; its other fields replace the
    # element's own for a message in the locale.
    elements: list[dict[str, Any]] = Field(min_length=1, max_length=500)
    state: State = DRAFT


class PublishBody(_Strict):
    version: str | None = None


def _elements(elements: list[Any]) -> Iterator[dict[str, Any]]:
    """Every element of the content, nested ones (of groups and channels) included."""
    for element in elements:
        if isinstance(element, dict):
            yield element
            yield from _elements(element.get("elements") or [])


def _with_ids(content: dict[str, Any]) -> dict[str, Any]:
    """The content with an id on each element that has none (``text_2``): the API
    addresses elements by id."""
    content = copy.deepcopy(content)
    used = {e["id"] for e in _elements(content["elements"]) if isinstance(e.get("id"), str)}
    for element in _elements(content["elements"]):
        if "id" in element:
            continue
        n = 1
        while f"{element.get('type')}_{n}" in used:
            n += 1
        element["id"] = f"{element.get('type')}_{n}"
        used.add(element["id"])
    return content


def _checksum(value: Any) -> str:
    # Courier's checksums are MD5 of the translatable content: a change detector only.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _own_fields(element: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in element.items() if k not in ("locales", "elements")}


def _with_checksums(element: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {**element, "checksum": _checksum(_own_fields(element))}
    if isinstance(element.get("elements"), list):
        shown["elements"] = [_with_checksums(e) for e in element["elements"]]
    if isinstance(element.get("locales"), dict):
        shown["locales"] = {
            locale: {**variant, "checksum": _checksum(variant)}
            for locale, variant in element["locales"].items()
        }
    return shown


def elemental_of(content: dict[str, Any]) -> dict[str, Any]:
    """A template's content as Elemental: Herald's title/body sugar is a meta and a text."""
    if "elements" in content:
        return {"version": content.get("version", ELEMENTAL_VERSION), **content}
    elements: list[dict[str, Any]] = []
    if content.get("title"):
        elements.append({"type": "meta", "title": content["title"]})
    elements.append({"type": "text", "content": content.get("body", "")})
    return {"version": ELEMENTAL_VERSION, "elements": elements}


def new_template_id() -> str:
    return f"nt_{uuid.uuid4().hex}"


def is_published(template: Document) -> bool:
    """A template written by Herald's own API is published as it is written."""
    return "state" not in template or "published_version" in template


def sendable_problem(template: Document) -> str | None:
    """Why a send may not name this template, or None."""
    if "archived" in template:
        return "is archived"
    if JOURNEY_SCOPE in template:
        return f"belongs to journey {template[JOURNEY_SCOPE]['id']}; only its send nodes use it"
    if not is_published(template):
        return "has never been published"
    return None


def _working(template: Document) -> dict[str, Any]:
    if "draft" in template:
        return dict(template["draft"])
    return {f: template[f] for f in WORKING_FIELDS if f in template}


def _published_body(template: Document) -> dict[str, Any]:
    return {f: template[f] for f in PUBLISHED_FIELDS if f in template}


def _version_path(template_id: str, version: str) -> DocPath:
    return (TEMPLATES, template_id, VERSIONS, version)


def publish_into(
    template: Document, at: int, actor: str
) -> tuple[Document, list[tuple[DocPath, Document]], list[DocPath]]:
    """The template with its working copy published, the version it becomes, and the
    version that falls out of those kept."""
    published = {k: v for k, v in template.items() if k not in ("draft", *WORKING_FIELDS)}
    published.update(_working(template))
    number = int(template.get("version_count", 0)) + 1
    version = f"v{number:03d}"
    published.update(version_count=number, published_version=version, state=PUBLISHED)
    kept = {"version": version, "created": at, "creator": actor, "body": _published_body(published)}
    dropped = (
        [_version_path(template["id"], f"v{number - MAX_KEPT_VERSIONS:03d}")]
        if number > MAX_KEPT_VERSIONS
        else []
    )
    return published, [(_version_path(template["id"], version), kept)], dropped


def _mutation(template_id: str, content: dict[str, Any], state: str) -> dict[str, Any]:
    return {
        "id": template_id,
        "elements": [
            {"id": e["id"], "checksum": _checksum(_own_fields(e))}
            for e in _elements(content["elements"])
            if "id" in e
        ],
        "state": state,
        "version": content.get("version", ELEMENTAL_VERSION),
    }


def _replace_element(elements: list[Any], element_id: str, new: dict[str, Any]) -> bool:
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        if element.get("id") == element_id:
            elements[index] = new
            return True
        if _replace_element(element.get("elements") or [], element_id, new):
            return True
    return False


def _check_content(content: dict[str, Any], field: str) -> None:
    from herald.elemental import parse_elemental

    parse_elemental(content, field)


class NotificationService:
    """Templates as Courier's notifications; each change is written with its audit entry."""

    def __init__(self, documents: DocumentStore, actor: str, source: Source = "api") -> None:
        self.documents = documents
        self.actor = actor
        self.source = source

    def _stored(self, workspace: str, template_id: str) -> Document:
        stored = self.documents.get(workspace, (TEMPLATES, template_id))
        if stored is None:
            raise NotFound(f"no notification {template_id}")
        return stored

    def _write(
        self,
        workspace: str,
        template: Document,
        kind: AuditType,
        puts: list[tuple[DocPath, Document]] | None = None,
        deletes: list[DocPath] | None = None,
    ) -> None:
        audit = audit_entry(kind, f"template:{template['id']}", self.actor, self.source)
        self.documents.write_all(
            workspace,
            [((TEMPLATES, template["id"]), template), audit, *(puts or [])],
            deletes or [],
        )

    def _save(
        self,
        workspace: str,
        template: Document,
        working: dict[str, Any],
        state: str,
        kind: AuditType,
    ) -> Document:
        """Stores a new working copy, published at once when ``state`` says so."""
        at = now_ms()
        template = {**template, "updated": at, "updater": self.actor}
        if is_published(template):
            template.update(draft=working, state=DRAFT)
        else:  # never published: the working copy is the template itself, whole
            template = {k: v for k, v in template.items() if k not in WORKING_FIELDS}
            template.update(working)
        puts: list[tuple[DocPath, Document]] = []
        deletes: list[DocPath] = []
        if state == PUBLISHED:
            template, puts, deletes = publish_into(template, at, self.actor)
        self._write(workspace, template, kind, puts, deletes)
        return template

    def _check_references(self, workspace: str, write: NotificationWrite) -> None:
        # The strategy is applied at each send, so one that does not exist is refused now.
        if write.routing is not None:
            check_strategy_exists(
                self.documents,
                workspace,
                write.routing.strategy_id,
                "notification.routing.strategy_id",
            )

    def create(
        self,
        workspace: str,
        body: Any,
        template_id: str | None = None,
        scope: Document | None = None,
    ) -> dict[str, Any]:
        """A new template; ``scope`` marks one kept for a journey (``JOURNEY_SCOPE``)."""
        parsed = parse_body(NotificationBody, body)
        self._check_references(workspace, parsed.notification)
        content = _with_ids(parsed.notification.content.model_dump(mode="json"))
        _check_content(content, "notification.content")
        if any(e.get("type") != "channel" for e in content["elements"]):
            raise ValidationFailed.of(
                "notification.content.elements",
                'each element must be a channel block: {"type": "channel", "channel": ..., '
                '"elements": [...]}',
            )
        at = now_ms()
        template: Document = {
            **(scope or {}),
            "id": template_id or new_template_id(),
            "channels": {},
            "locales": {},
            "created": at,
            "creator": self.actor,
            "state": DRAFT,
        }
        saved = self._save(
            workspace,
            template,
            _working_of(parsed.notification, content),
            parsed.state,
            "template.created",
        )
        return self.view(workspace, saved, "published" if parsed.state == PUBLISHED else "draft")

    def replace(self, workspace: str, template_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(NotificationBody, body)
        self._check_references(workspace, parsed.notification)
        content = _with_ids(parsed.notification.content.model_dump(mode="json"))
        _check_content(content, "notification.content")
        stored = self._stored(workspace, template_id)
        working = _working_of(parsed.notification, content)
        saved = self._save(workspace, stored, working, parsed.state, "template.updated")
        return self.view(workspace, saved, "published" if parsed.state == PUBLISHED else "draft")

    def view(self, workspace: str, template: Document, version: str) -> dict[str, Any]:
        body, state = self._version_body(workspace, template, version)
        shown: dict[str, Any] = {
            "id": template["id"],
            "name": body.get("name", ""),
            "tags": body.get("tags", []),
            "brand": {"id": body["brand_id"]} if body.get("brand_id") else None,
            "routing": (
                {"strategy_id": body["routing_strategy_id"]}
                if body.get("routing_strategy_id")
                else None
            ),
            "subscription": (
                {"topic_id": body["subscription_topic_id"]}
                if body.get("subscription_topic_id")
                else None
            ),
            "content": elemental_of(body["content"]),
            "state": state,
            "created": template["created"],
            "creator": template.get("creator", ""),
            "updated": template["updated"],
        }
        if "updater" in template:
            shown["updater"] = template["updater"]
        return shown

    def _version_body(
        self, workspace: str, template: Document, version: str
    ) -> tuple[dict[str, Any], str]:
        if version == "draft":
            return _working(template), template.get("state", PUBLISHED)
        if version == "published":
            if not is_published(template):
                raise NotFound(
                    f"notification {template['id']} has never been published; ask for version=draft"
                )
            return _published_body(template), PUBLISHED
        if not _is_version_id(version):
            raise ValidationFailed.of("version", 'is "draft", "published" or like "v001"')
        kept = self._kept_version(workspace, template, version)
        return kept["body"], PUBLISHED

    def _kept_version(self, workspace: str, template: Document, version: str) -> Document:
        kept = self.documents.get(workspace, _version_path(template["id"], version))
        if kept is None:
            raise NotFound(f"notification {template['id']} has no version {version}")
        return kept

    def retrieve(self, workspace: str, template_id: str, version: str | None) -> dict[str, Any]:
        return self.view(workspace, self._stored(workspace, template_id), version or "published")

    def retrieve_content(
        self, workspace: str, template_id: str, version: str | None
    ) -> dict[str, Any]:
        stored = self._stored(workspace, template_id)
        body, _ = self._version_body(workspace, stored, version or "published")
        content = elemental_of(body["content"])
        return {
            "version": content["version"],
            "elements": [_with_checksums(e) for e in content["elements"]],
        }

    def working_content(self, workspace: str, template_id: str) -> dict[str, Any]:
        return dict(_working(self._stored(workspace, template_id))["content"])

    def find(
        self, workspace: str, cursor: str | None, tags: str | None, event_id: str | None
    ) -> dict[str, Any]:
        wanted = {t.strip().lower() for t in (tags or "").split(",") if t.strip()}
        results: list[dict[str, Any]] = []
        after, scanned, exhausted = cursor, 0, False
        while len(results) < PAGE_SIZE and scanned < MAX_SCANNED and not exhausted:
            page = self.documents.page(workspace, (TEMPLATES,), after, PAGE_SIZE)
            exhausted = len(page) < PAGE_SIZE
            for doc_id, template in page:
                after, scanned = doc_id, scanned + 1
                working = _working(template)
                if (
                    "archived" not in template
                    and "broadcast" not in template  # a broadcast's own, private
                    and JOURNEY_SCOPE not in template  # a journey's own, listed there
                    and (event_id is None or doc_id == event_id)
                    and wanted <= {t.lower() for t in working.get("tags", [])}
                ):
                    results.append(_summary(doc_id, template, working))
                if len(results) == PAGE_SIZE:
                    exhausted = exhausted and doc_id == page[-1][0]
                    break
        return {"results": results, "paging": paging(None if exhausted else after)}

    def archive(self, workspace: str, template_id: str) -> None:
        stored = self._stored(workspace, template_id)
        if "archived" in stored:
            return
        self._write(workspace, {**stored, "archived": now_ms()}, "template.archived")

    def publish(self, workspace: str, template_id: str, body: Any) -> None:
        parsed = parse_body(PublishBody, body if body is not None else {})
        stored = self._stored(workspace, template_id)
        at = now_ms()
        if parsed.version is None:
            if is_published(stored) and "draft" not in stored:
                return  # nothing new to publish
            published, puts, deletes = publish_into(
                {**stored, "updated": at, "updater": self.actor}, at, self.actor
            )
            self._write(workspace, published, "template.published", puts, deletes)
            return
        if not _is_version_id(parsed.version):
            raise ValidationFailed.of("version", 'is like "v001"')
        kept = self._kept_version(workspace, stored, parsed.version)
        restored = {k: v for k, v in stored.items() if k not in PUBLISHED_FIELDS}
        restored.update(kept["body"])
        restored.update(
            published_version=parsed.version,
            updated=at,
            updater=self.actor,
            state=DRAFT if "draft" in stored else PUBLISHED,
        )
        self._write(workspace, restored, "template.published")

    def list_versions(
        self, workspace: str, template_id: str, cursor: str | None, limit: str | None
    ) -> dict[str, Any]:
        size = _page_size(limit)
        stored = self._stored(workspace, template_id)
        nodes: list[dict[str, Any]] = []
        if not is_published(stored) or "draft" in stored:
            nodes.append(
                {
                    "version": "draft",
                    "created": stored["updated"],
                    "creator": stored.get("updater", stored.get("creator", "")),
                    "has_changes": True,
                }
            )
        kept = self.documents.page(
            workspace, (TEMPLATES, template_id, VERSIONS), None, MAX_KEPT_VERSIONS
        )
        current = stored.get("published_version")
        for version, node in sorted(kept, key=lambda pair: int(pair[0][1:]), reverse=True):
            name = f"published:{version}" if version == current else version
            nodes.append({"version": name, "created": node["created"], "creator": node["creator"]})
        start = 0
        if cursor is not None:
            names = [n["version"] for n in nodes]
            if cursor not in names:
                raise ValidationFailed.of("cursor", "is not a cursor of this list")
            start = names.index(cursor) + 1
        shown = nodes[start : start + size]
        more = start + size < len(nodes)
        return {"versions": shown, "paging": paging(shown[-1]["version"] if more else None)}

    def _content_change(
        self,
        workspace: str,
        template_id: str,
        state: str,
        change: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        stored = self._stored(workspace, template_id)
        working = _working(stored)
        content = _with_ids(change(elemental_of(working["content"])))
        _check_content(content, "content")
        saved = self._save(
            workspace, stored, {**working, "content": content}, state, "template.updated"
        )
        return _mutation(template_id, content, saved["state"])

    def put_content(self, workspace: str, template_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(ContentBody, body)
        new = parsed.content.model_dump(mode="json")
        return self._content_change(workspace, template_id, parsed.state, lambda _old: new)

    def put_element(
        self, workspace: str, template_id: str, element_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(ElementBody, body)
        element: dict[str, Any] = {**(parsed.data or {}), "id": element_id, "type": parsed.type}
        for key, value in (
            ("channels", parsed.channels),
            ("if", parsed.if_),
            ("loop", parsed.loop),
            ("ref", parsed.ref),
        ):
            if value is not None:
                element[key] = value

        def replaced(content: dict[str, Any]) -> dict[str, Any]:
            if not _replace_element(content["elements"], element_id, element):
                raise NotFound(f"notification {template_id} has no element {element_id}")
            return content

        return self._content_change(workspace, template_id, parsed.state, replaced)

    def put_locale(
        self, workspace: str, template_id: str, locale_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(LocaleBody, body)
        try:
            locale = check_locale(locale_id)
        except ValueError as exc:
            raise ValidationFailed.of("locale_id", str(exc)) from None
        assert locale is not None

        def localized(content: dict[str, Any]) -> dict[str, Any]:
            by_id = {e.get("id"): e for e in _elements(content["elements"])}
            errors = []
            for index, override in enumerate(parsed.elements):
                target = by_id.get(override.get("id"))
                if not isinstance(override.get("id"), str) or target is None:
                    errors.append(
                        FieldError(f"elements[{index}].id", "names no element of the content")
                    )
                    continue
                variant = {k: v for k, v in override.items() if k != "id"}
                target.setdefault("locales", {})[locale] = variant
            if errors:
                raise ValidationFailed(errors)
            return content

        return self._content_change(workspace, template_id, parsed.state, localized)


def _page_size(limit: str | None) -> int:
    if limit is None:
        return MAX_VERSIONS_PAGE
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_VERSIONS_PAGE:
        raise ValidationFailed.of("limit", f"is a whole number from 1 to {MAX_VERSIONS_PAGE}")
    return int(limit)


def _working_of(write: NotificationWrite, content: dict[str, Any]) -> dict[str, Any]:
    working: dict[str, Any] = {"name": write.name, "content": content, "tags": list(write.tags)}
    if write.brand is not None:
        working["brand_id"] = write.brand.id
    if write.subscription is not None:
        working["subscription_topic_id"] = write.subscription.topic_id
    if write.routing is not None:
        working["routing_strategy_id"] = write.routing.strategy_id
    return working


def _summary(template_id: str, template: Document, working: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "id": template_id,
        "name": working.get("name", ""),
        "tags": working.get("tags", []),
        "state": template.get("state", PUBLISHED),
        "created": template["created"],
        "creator": template.get("creator", ""),
        "updated": template["updated"],
    }
    if "updater" in template:
        summary["updater"] = template["updater"]
    if is_published(template) and (topic := template.get("subscription_topic_id")):
        summary["subscription_topic_id"] = summary["topic_id"] = topic
    return summary
