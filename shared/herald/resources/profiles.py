"""Profiles: what Herald knows about a user, found by ``to.user_id`` when sending."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from herald.clock import now_ms
from herald.domain.audience import PROFILE_MAX_BYTES
from herald.domain.send import ADDRESS_FIELDS, Addresses, storable
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.resources.parsing import parse_body
from herald.resources.validation import field_errors
from herald.store.documents import Document, DocumentStore


class ProfileBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: dict[str, Any]

    @field_validator("profile")
    @classmethod
    def _storable(cls, profile: dict[str, Any]) -> dict[str, Any]:
        storable(profile)
        if len(json.dumps(profile)) > PROFILE_MAX_BYTES:
            raise ValueError(f"is larger than {PROFILE_MAX_BYTES} bytes")
        return profile


def profile_addresses(profile: dict[str, Any], field: str = "profile") -> dict[str, Any]:
    """The profile's addresses, checked as a send's are and in the shape a send stores
    them (``webhook`` as ``{url, ...}``); a ``ValidationFailed`` naming ``field.<address>``."""
    given = {k: profile[k] for k in ADDRESS_FIELDS if profile.get(k) is not None}
    try:
        addresses = Addresses.model_validate(given)
    except ValidationError as exc:
        raise ValidationFailed(
            [FieldError(f"{field}.{e.field}", e.reason) for e in field_errors(exc, True)]
        ) from exc
    return addresses.model_dump(mode="json", exclude_defaults=True, by_alias=True)


# The profile and the {"profile": ...} around it.
MAX_PROFILE_BODY = PROFILE_MAX_BYTES + 1024


def profile_path(user_id: str) -> tuple[str, str]:
    return ("profiles", user_id)


class ProfileService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def get(self, workspace: str, user_id: str) -> dict[str, Any]:
        stored = self.documents.get(workspace, profile_path(user_id))
        if stored is None:
            raise NotFound(f"no profile for user {user_id}")
        return {"profile": stored["profile"], "preferences": None}

    def merge(self, workspace: str, user_id: str, body: Any) -> None:
        """Courier's POST: the given keys replace theirs, the others stay."""
        incoming = parse_body(ProfileBody, body).profile
        profile_addresses(incoming)
        at = now_ms()

        def merged(current: Document | None) -> Document:
            profile = {**(current or {}).get("profile", {}), **incoming}
            if len(json.dumps(profile)) > PROFILE_MAX_BYTES:
                raise ValidationFailed.of("profile", f"would grow past {PROFILE_MAX_BYTES} bytes")
            created = (current or {}).get("created_ms", at)
            return {"profile": profile, "created_ms": created, "updated_ms": at}

        self.documents.update(workspace, profile_path(user_id), merged)

    def replace(self, workspace: str, user_id: str, body: Any) -> None:
        profile = parse_body(ProfileBody, body).profile
        profile_addresses(profile)
        at = now_ms()

        def replaced(current: Document | None) -> Document:
            created = (current or {}).get("created_ms", at)
            return {"profile": profile, "created_ms": created, "updated_ms": at}

        self.documents.update(workspace, profile_path(user_id), replaced)

    def delete(self, workspace: str, user_id: str) -> None:
        if not self.documents.delete(workspace, profile_path(user_id)):
            raise NotFound(f"no profile for user {user_id}")
