"""Audiences in Courier's shape: a named filter over the workspace's profiles.

An audience stores no members: who is in it is decided when it is read, by
evaluating its filter against profiles. Profiles are the caller's free-form
maps and are not indexed attribute by attribute (an index entry per attribute
would make every profile write cost as many entries as the profile has
attributes, and bound what a profile may hold); so the members page and a send to
``to.audience_id`` scan the profiles in id order, a bounded number per call
or per fan-out step, and resume from the last id scanned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from herald.clock import now_ms
from herald.domain.audience_filter import AudienceFilter, LogicalOperator, matches
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import iso, page_of, paging, parse_body
from herald.store.documents import DocPath, Document, DocumentStore

PROFILES: DocPath = ("profiles",)
MEMBERS_PAGE = 100  # members one GET /audiences/{id}/members answers, at most
MAX_SCANNED_PROFILES = 1000  # profiles one members page reads, at most
SCAN_PAGE = 500  # profiles read at a time
MAX_AUDIENCE_BODY = 64 * 1024


class AudienceBody(BaseModel):
    """``PUT /audiences/{audience_id}``: what is given replaces what is stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    filter: AudienceFilter | None = None
    operator: LogicalOperator | None = None


def audience_path(audience_id: str) -> DocPath:
    return ("audiences", audience_id)


def audience_view(stored: Document) -> dict[str, Any]:
    """Courier's ``Audience``."""
    return {
        "id": stored["id"],
        "name": stored.get("name") or "",
        "description": stored.get("description") or "",
        "filter": stored["filter"],
        "operator": stored["filter"].get("operator"),
        "created_at": iso(stored["created_ms"]),
        "updated_at": iso(stored["updated_ms"]),
    }


def stored_filter(stored: Document) -> AudienceFilter:
    return AudienceFilter.model_validate(stored["filter"])


def profile_attributes(stored: Document) -> dict[str, Any]:
    profile = stored.get("profile")
    return profile if isinstance(profile, dict) else {}


def matching(
    documents: DocumentStore,
    workspace: str,
    audience_filter: AudienceFilter,
    after: str | None,
    most: int,
    scan: int,
) -> tuple[list[str], str | None, bool]:
    """Up to ``most`` users whose profiles match, reading at most ``scan`` profiles
    after ``after``: the users, the last profile id read, and whether none are left."""
    found: list[str] = []
    cursor = after
    read = 0
    while read < scan:
        wanted = min(SCAN_PAGE, scan - read)
        page = documents.page(workspace, PROFILES, cursor, wanted)
        for user_id, stored in page:
            cursor = user_id
            read += 1
            if matches(audience_filter, profile_attributes(stored)):
                found.append(user_id)
                if len(found) == most:
                    return found, cursor, False
        if len(page) < wanted:
            return found, cursor, True
    return found, cursor, False


class AudienceService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def _stored(self, workspace: str, audience_id: str) -> Document:
        stored = self.documents.get(workspace, audience_path(audience_id))
        if stored is None:
            raise NotFound(f"no audience {audience_id}")
        return stored

    def get(self, workspace: str, audience_id: str) -> dict[str, Any]:
        return audience_view(self._stored(workspace, audience_id))

    def put(self, workspace: str, audience_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(AudienceBody, body)
        at = now_ms()

        def changed(current: Document | None) -> Document:
            given = parsed.filter or (stored_filter(current) if current else None)
            if given is None:
                raise ValidationFailed.of("filter", "is required to create an audience")
            try:
                combined = given.combined_by(parsed.operator)
            except ValueError as exc:
                raise ValidationFailed.of("filter.operator", str(exc)) from exc
            previous = current or {}
            return {
                "id": audience_id,
                "name": parsed.name if parsed.name is not None else previous.get("name", ""),
                "description": (
                    parsed.description
                    if parsed.description is not None
                    else previous.get("description", "")
                ),
                "filter": combined.model_dump(mode="json", exclude_none=True),
                "version": int(previous.get("version", 0)) + 1,
                "created_ms": previous.get("created_ms", at),
                "updated_ms": at,
            }

        stored = self.documents.update(workspace, audience_path(audience_id), changed)
        assert stored is not None
        return {"audience": audience_view(stored)}

    def find(self, workspace: str, query: Mapping[str, str]) -> dict[str, Any]:
        return page_of(
            self.documents,
            workspace,
            ("audiences",),
            query.get("cursor"),
            "items",
            lambda _id, stored: audience_view(stored),
        )

    def delete(self, workspace: str, audience_id: str) -> None:
        if not self.documents.delete(workspace, audience_path(audience_id)):
            raise NotFound(f"no audience {audience_id}")

    def members(self, workspace: str, audience_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """The profiles matching the filter now, a bounded scan per page: a page may hold
        fewer than a full page of members and still have more behind its cursor."""
        stored = self._stored(workspace, audience_id)
        audience_filter = stored_filter(stored)
        users, last, done = matching(
            self.documents,
            workspace,
            audience_filter,
            query.get("cursor"),
            MEMBERS_PAGE,
            MAX_SCANNED_PROFILES,
        )
        added_at = iso(stored["updated_ms"])
        items = [
            {
                "added_at": added_at,
                "audience_id": audience_id,
                "audience_version": int(stored.get("version", 1)),
                "member_id": user_id,
                "reason": "filter",
            }
            for user_id in users
        ]
        return {"items": items, "paging": paging(None if done else last)}
