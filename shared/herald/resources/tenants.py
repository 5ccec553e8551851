"""Tenants in Courier's shape: the organisations a workspace's users belong to.

A tenant holds a brand, default preferences per subscription topic and
properties that its messages' templates read as ``tenant.*``. Its users are
kept twice, ``tenants/{id}/users/{user_id}`` (what ``to.tenant_id`` fans out
over) and ``users/{user_id}/tenants/{id}`` (what ``/users/{user_id}/tenants``
lists); the tenant's side is written first, so a send never misses a user the
API said was added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.audience import UserTopicChoice
from herald.domain.send import check_identifier, storable
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import parse_body
from herald.store.documents import DocPath, Document, DocumentStore

# Courier's paging of tenants and their users: 20 by default, at most 100.
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_DEFAULT_PREFERENCES = 100  # topics with a tenant default
MAX_TENANTS_PER_CALL = 100  # PUT /users/{user_id}/tenants
MAX_SCANNED_PAGES = 10  # pages of tenants one filtered GET /tenants reads
# A tenant's properties and user profile (template data), or 100 memberships with a
# profile each: more than the default body, less than a send's.
MAX_TENANT_BODY = 128 * 1024


def _ids(value: str | None) -> str | None:
    return check_identifier(value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefaultPreference(UserTopicChoice):
    """A tenant's default for one topic: a user's own choice, where made, wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str

    _id = field_validator("id")(classmethod(lambda cls, v: _ids(v)))


class DefaultPreferences(_Strict):
    items: list[DefaultPreference] = Field(default_factory=list, max_length=MAX_DEFAULT_PREFERENCES)

    @field_validator("items")
    @classmethod
    def _unique(cls, items: list[DefaultPreference]) -> list[DefaultPreference]:
        if len({item.id for item in items}) != len(items):
            raise ValueError("names a topic twice")
        return items


class TenantBody(_Strict):
    name: str = Field(min_length=1, max_length=200)
    brand_id: str | None = None
    parent_tenant_id: str | None = None
    default_preferences: DefaultPreferences | None = None
    properties: dict[str, Any] | None = None
    user_profile: dict[str, Any] | None = None

    _id_fields = field_validator("brand_id", "parent_tenant_id")(
        classmethod(lambda cls, v: _ids(v))
    )
    _storable = field_validator("properties", "user_profile")(
        classmethod(lambda cls, v: storable(v))
    )


class DefaultPreferenceBody(UserTopicChoice):
    """``PUT /tenants/{tenant_id}/default_preferences/items/{topic_id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantAssociation(_Strict):
    tenant_id: str
    profile: dict[str, Any] | None = None
    type: str | None = None  # Courier's "user"
    user_id: str | None = None  # the path's, if given at all

    _tenant = field_validator("tenant_id")(classmethod(lambda cls, v: _ids(v)))
    _storable = field_validator("profile")(classmethod(lambda cls, v: storable(v)))


class UserTenantsBody(_Strict):
    tenants: list[TenantAssociation] = Field(max_length=MAX_TENANTS_PER_CALL)


class UserTenantBody(_Strict):
    profile: dict[str, Any] | None = None

    _storable = field_validator("profile")(classmethod(lambda cls, v: storable(v)))


def tenant_path(tenant_id: str) -> DocPath:
    return ("tenants", tenant_id)


def tenant_users(tenant_id: str) -> DocPath:
    return ("tenants", tenant_id, "users")


def user_tenants(user_id: str) -> DocPath:
    return ("users", user_id, "tenants")


def tenant_view(stored: Document) -> dict[str, Any]:
    """Courier's ``Tenant``."""
    return {
        "id": stored["id"],
        "name": stored["name"],
        "brand_id": stored.get("brand_id"),
        "parent_tenant_id": stored.get("parent_tenant_id"),
        "default_preferences": stored.get("default_preferences"),
        "properties": stored.get("properties"),
        "user_profile": stored.get("user_profile"),
    }


def default_choice(tenant: Document | None, topic_id: str) -> UserTopicChoice | None:
    """The tenant's default for a topic, as a choice, or None."""
    for item in ((tenant or {}).get("default_preferences") or {}).get("items") or []:
        if item.get("id") == topic_id:
            return UserTopicChoice.model_validate({k: v for k, v in item.items() if k != "id"})
    return None


def limit_of(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed.of("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def list_page(
    url: str, items: list[dict[str, Any]], cursor: str | None, more: bool
) -> dict[str, Any]:
    """Courier's paged list of tenants or associations."""
    return {
        "type": "list",
        "url": url,
        "items": items,
        "has_more": more,
        "cursor": cursor if more else None,
        "next_url": f"{url}?cursor={cursor}" if more else None,
    }


class TenantService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def _stored(self, workspace: str, tenant_id: str) -> Document:
        stored = self.documents.get(workspace, tenant_path(tenant_id))
        if stored is None:
            raise NotFound(f"no tenant {tenant_id}")
        return stored

    def get(self, workspace: str, tenant_id: str) -> dict[str, Any]:
        return tenant_view(self._stored(workspace, tenant_id))

    def put(self, workspace: str, tenant_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(TenantBody, body)
        at = now_ms()

        def replaced(current: Document | None) -> Document:
            return {
                "id": tenant_id,
                **parsed.model_dump(mode="json", exclude_none=True),
                "created_ms": (current or {}).get("created_ms", at),
                "updated_ms": at,
            }

        stored = self.documents.update(workspace, tenant_path(tenant_id), replaced)
        assert stored is not None
        return tenant_view(stored)

    def find(self, workspace: str, query: Mapping[str, str]) -> dict[str, Any]:
        limit = limit_of(query)
        parent = query.get("parent_tenant_id")
        items: list[dict[str, Any]] = []
        after = query.get("cursor")
        more = True
        # A parent filter skips tenants: read on, a bounded number of pages, until the
        # page is full or none are left (a short page with a cursor continues the scan).
        for _ in range(MAX_SCANNED_PAGES):
            page = self.documents.page(workspace, ("tenants",), after, limit)
            for tenant_id, stored in page:
                after = tenant_id
                if parent is None or stored.get("parent_tenant_id") == parent:
                    items.append(tenant_view(stored))
                    if len(items) == limit:
                        break
            if len(page) < limit and (not page or after == page[-1][0]):
                more = False
                break
            if len(items) == limit:
                break
        return list_page("/tenants", items, after, more)

    def delete(self, workspace: str, tenant_id: str) -> None:
        """The tenant only: its users' profiles and preferences are the workspace's."""
        if not self.documents.delete(workspace, tenant_path(tenant_id)):
            raise NotFound(f"no tenant {tenant_id}")

    # Default preferences, one topic at a time.
    def put_default(self, workspace: str, tenant_id: str, topic_id: str, body: Any) -> None:
        choice = parse_body(DefaultPreferenceBody, body)
        # A digest schedule is a user's own choice, not a tenant's default.
        item = {"id": topic_id, **choice.model_dump(mode="json", exclude={"digest_schedule_id"})}

        def changed(current: Document | None) -> Document:
            if current is None:
                raise NotFound(f"no tenant {tenant_id}")
            items = [
                i
                for i in (current.get("default_preferences") or {}).get("items") or []
                if i.get("id") != topic_id
            ]
            if len(items) >= MAX_DEFAULT_PREFERENCES:
                raise ValidationFailed.of(
                    "topic_id",
                    f"tenant {tenant_id} has defaults for {MAX_DEFAULT_PREFERENCES} topics,"
                    " the most it may have",
                )
            return {**current, "default_preferences": {"items": [*items, item]}}

        self.documents.update(workspace, tenant_path(tenant_id), changed)

    def delete_default(self, workspace: str, tenant_id: str, topic_id: str) -> None:
        stored = self._stored(workspace, tenant_id)
        if default_choice(stored, topic_id) is None:
            raise NotFound(f"tenant {tenant_id} has no default for topic {topic_id}")
        self.documents.update(
            workspace,
            tenant_path(tenant_id),
            lambda current: (
                None
                if current is None
                else {
                    **current,
                    "default_preferences": {
                        "items": [
                            i
                            for i in (current.get("default_preferences") or {}).get("items") or []
                            if i.get("id") != topic_id
                        ]
                    },
                }
            ),
        )

    # Membership.
    def users(self, workspace: str, tenant_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        self._stored(workspace, tenant_id)
        limit = limit_of(query)
        page = self.documents.page(workspace, tenant_users(tenant_id), query.get("cursor"), limit)
        items = [
            _association(tenant_id, user_id, stored.get("profile")) for user_id, stored in page
        ]
        cursor = page[-1][0] if page else None
        return list_page(f"/tenants/{tenant_id}/users", items, cursor, len(page) == limit)

    def tenants_of(self, workspace: str, user_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        limit = limit_of(query)
        page = self.documents.page(workspace, user_tenants(user_id), query.get("cursor"), limit)
        items = [
            _association(tenant_id, user_id, stored.get("profile")) for tenant_id, stored in page
        ]
        cursor = page[-1][0] if page else None
        return list_page(f"/users/{user_id}/tenants", items, cursor, len(page) == limit)

    def add_user(self, workspace: str, user_id: str, tenant_id: str, body: Any) -> None:
        profile = parse_body(UserTenantBody, body).profile if body else None
        self._stored(workspace, tenant_id)
        self._associate(workspace, user_id, tenant_id, profile)

    def add_user_to_many(self, workspace: str, user_id: str, body: Any) -> None:
        parsed = parse_body(UserTenantsBody, body)
        found = self.documents.get_many(
            workspace, [tenant_path(a.tenant_id) for a in parsed.tenants]
        )
        for index, (association, stored) in enumerate(zip(parsed.tenants, found, strict=True)):
            if stored is None:
                raise ValidationFailed.of(
                    f"tenants[{index}].tenant_id", f"no tenant {association.tenant_id}"
                )
            if association.user_id not in (None, user_id):
                raise ValidationFailed.of(
                    f"tenants[{index}].user_id", f"must be the path's user, {user_id}"
                )
        for association in parsed.tenants:
            self._associate(workspace, user_id, association.tenant_id, association.profile)

    def _associate(
        self, workspace: str, user_id: str, tenant_id: str, profile: dict[str, Any] | None
    ) -> None:
        at = now_ms()
        document = {"profile": profile, "created_ms": at}
        self.documents.put(workspace, (*tenant_users(tenant_id), user_id), document)
        self.documents.put(workspace, (*user_tenants(user_id), tenant_id), document)

    def remove_user(self, workspace: str, user_id: str, tenant_id: str) -> None:
        # The user's side last: until then a retry finds the membership to remove.
        found = self.documents.delete(workspace, (*tenant_users(tenant_id), user_id))
        found = self.documents.delete(workspace, (*user_tenants(user_id), tenant_id)) or found
        if not found:
            raise NotFound(f"user {user_id} is not in tenant {tenant_id}")

    def remove_user_from_all(self, workspace: str, user_id: str) -> None:
        while page := self.documents.page(workspace, user_tenants(user_id), None, MAX_LIMIT):
            for tenant_id, _ in page:
                self.documents.delete(workspace, (*tenant_users(tenant_id), user_id))
                self.documents.delete(workspace, (*user_tenants(user_id), tenant_id))


def _association(tenant_id: str, user_id: str, profile: dict[str, Any] | None) -> dict[str, Any]:
    """Courier's ``TenantAssociation``."""
    return {"tenant_id": tenant_id, "user_id": user_id, "type": "user", "profile": profile}
