"""Profiles: what Herald knows about a user, found by ``to.user_id`` when sending."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


MAX_PATCH_OPERATIONS = 100


class PatchOperation(BaseModel):
    """One RFC 6902 operation, as Courier's ``PATCH /profiles/{user_id}`` takes them."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str = Field(max_length=1024)
    value: Any = None
    from_: str | None = Field(default=None, alias="from", max_length=1024)


class ProfilePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    patch: list[PatchOperation] = Field(min_length=1, max_length=MAX_PATCH_OPERATIONS)


def patched(
    profile: dict[str, Any],
    operations: list[PatchOperation],
    what: str = "profile",
    max_bytes: int = PROFILE_MAX_BYTES,
) -> dict[str, Any]:
    """The document (a profile, or ``what``) with each operation applied in turn (RFC 6902,
    by ``jsonpatch``); the first that cannot be applied, or that grows it past
    ``max_bytes``, is a 400."""
    import jsonpatch
    import jsonpointer

    for index, operation in enumerate(operations):
        given = operation.model_fields_set
        if operation.op in ("add", "replace", "test") and "value" not in given:
            raise ValidationFailed.of(f"patch[{index}].value", f"is required by {operation.op}")
        step: dict[str, Any] = {"op": operation.op, "path": operation.path}
        if "value" in given:
            step["value"] = operation.value
        if operation.from_ is not None:
            step["from"] = operation.from_
        try:
            profile = jsonpatch.JsonPatch([step]).apply(profile)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise ValidationFailed.of(f"patch[{index}]", str(exc)[:300]) from exc
        if not isinstance(profile, dict):
            raise ValidationFailed.of(
                f"patch[{index}].path", f"would make the {what} not an object"
            )
        if len(json.dumps(profile)) > max_bytes:
            raise ValidationFailed.of(
                f"patch[{index}]", f"would grow the {what} past {max_bytes} bytes"
            )
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

    def patch(self, workspace: str, user_id: str, body: Any) -> None:
        """Courier's PATCH: RFC 6902 operations on the stored profile, all or none."""
        operations = parse_body(ProfilePatch, body).patch
        at = now_ms()

        def applied(current: Document | None) -> Document:
            if current is None:
                raise NotFound(f"no profile for user {user_id}")
            profile = patched(dict(current.get("profile") or {}), operations)
            try:
                ProfileBody(profile=profile)
            except ValidationError as exc:
                raise ValidationFailed(
                    [FieldError(e.field, e.reason) for e in field_errors(exc, False)]
                ) from exc
            profile_addresses(profile)
            return {**current, "profile": profile, "updated_ms": at}

        self.documents.update(workspace, profile_path(user_id), applied)

    def delete(self, workspace: str, user_id: str) -> None:
        if not self.documents.delete(workspace, profile_path(user_id)):
            raise NotFound(f"no profile for user {user_id}")
