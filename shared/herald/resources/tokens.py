"""A user's device tokens, in Courier's shape: ``/users/{user_id}/tokens``.

The push channel takes a user's newest active FCM token when a send names only
the user and their profile has none. A token FCM reports unregistered is marked
``failed`` and not used again, until the app registers it anew.

Each token is a document of the user's ``tokens`` collection, and the user's
document (``users/{user_id}``) is their index: per token, what the push channel
chooses by. Every change writes both in one transaction, so the render stage reads
the index with the profile, in the same read, rather than querying the collection
for every message (a query the emulator answers by scanning every document).
``rebuild_index`` writes the index of tokens stored before it existed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from herald.clock import now_ms
from herald.domain.send import check_identifier, storable
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.resources.parsing import parse_body
from herald.resources.profiles import ProfilePatch, patched
from herald.resources.validation import field_errors
from herald.store.documents import DocPath, Document, DocumentStore

MAX_TOKENS_PER_USER = 100  # what a user may hold, and what the push channel reads
# Courier's default: a token not registered again within 60 days expires.
DEFAULT_EXPIRY_MS = 60 * 24 * 3600 * 1000
# 100 tokens of up to 256 characters, each with its device, tracking and properties.
MAX_TOKENS_BODY = 256 * 1024
ProviderKey = Literal["firebase-fcm", "apn", "expo", "onesignal"]
TokenStatus = Literal["active", "unknown", "failed", "revoked"]
FCM_PROVIDER_KEY = "firebase-fcm"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Device(_Strict):
    ad_id: str | None = Field(default=None, max_length=256)
    app_id: str | None = Field(default=None, max_length=256)
    device_id: str | None = Field(default=None, max_length=256)
    manufacturer: str | None = Field(default=None, max_length=256)
    model: str | None = Field(default=None, max_length=256)
    platform: str | None = Field(default=None, max_length=256)


class Tracking(_Strict):
    ip: str | None = Field(default=None, max_length=64)
    lat: str | None = Field(default=None, max_length=64)
    long: str | None = Field(default=None, max_length=64)
    os_version: str | None = Field(default=None, max_length=64)


class TokenBody(_Strict):
    """``PUT /users/{user_id}/tokens/{token}``."""

    provider_key: ProviderKey
    device: Device | None = None
    # A date, or false for a token that never expires (true is not Courier's).
    expiry_date: Any = None
    properties: Any = None
    tracking: Tracking | None = None
    token: str | None = None  # Courier's: must match the path's, if given

    _storable = field_validator("properties")(classmethod(lambda cls, v: storable(v)))

    @field_validator("expiry_date")
    @classmethod
    def _a_date(cls, value: Any) -> str | bool | None:
        if value is None or value is False:
            return value
        if isinstance(value, str) and len(value) <= 64:
            try:
                datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return value
        raise ValueError("must be an ISO 8601 date, or false")


class UserToken(TokenBody):
    token: str

    _token = field_validator("token")(classmethod(lambda cls, v: check_identifier(v)))


class TokensBody(_Strict):
    """``PUT /users/{user_id}/tokens``: several at once."""

    tokens: list[UserToken] = Field(max_length=MAX_TOKENS_PER_USER)


# What a PATCH may change: the fields a PUT gives, at most as large as a PUT's body.
PATCHABLE = ("provider_key", "device", "expiry_date", "properties", "tracking")
MAX_TOKEN_BYTES = 64 * 1024


def tokens_collection(user_id: str) -> DocPath:
    return ("users", user_id, "tokens")


def token_index_path(user_id: str) -> DocPath:
    """The user's document: the index of their tokens."""
    return ("users", user_id)


# What the index keeps of each token: what the push channel chooses by.
INDEXED = ("provider_key", "status", "expires_ms", "updated_ms")


def indexed_tokens(index: Document | None) -> list[tuple[str, Document]]:
    """The tokens an index holds, each with what it keeps of it."""
    return [(entry["token"], entry) for entry in (index or {}).get("tokens", [])]


def _indexed(index: Document | None, token: str, stored: Document | None) -> Document:
    """The index with ``token`` as ``stored`` (None: without it)."""
    entries = [e for e in (index or {}).get("tokens", []) if e["token"] != token]
    if stored is not None:
        entries.append({"token": token, **{k: stored.get(k) for k in INDEXED}})
    return {**(index or {}), "tokens": sorted(entries, key=lambda e: str(e["token"]))}


def _expires_ms(expiry_date: str | bool | None, at: int) -> int | None:
    if expiry_date is False:
        return None
    if isinstance(expiry_date, str):
        moment = datetime.datetime.fromisoformat(expiry_date.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return int(moment.timestamp() * 1000)
    return at + DEFAULT_EXPIRY_MS


def token_view(token: str, stored: Document) -> dict[str, Any]:
    """Courier's ``UserToken`` with its status."""
    return {
        "token": token,
        "provider_key": stored["provider_key"],
        "device": stored.get("device"),
        "expiry_date": stored.get("expiry_date"),
        "properties": stored.get("properties"),
        "tracking": stored.get("tracking"),
        "status": stored.get("status", "active"),
        "status_reason": stored.get("status_reason"),
    }


def usable_push_token(tokens: list[tuple[str, Document]], at: int) -> str | None:
    """The newest active, unexpired FCM token of a user's, or None."""
    usable = [
        (stored.get("updated_ms", 0), token)
        for token, stored in tokens
        if stored.get("provider_key") == FCM_PROVIDER_KEY
        and stored.get("status", "active") == "active"
        and (stored.get("expires_ms") is None or stored["expires_ms"] > at)
    ]
    return max(usable)[1] if usable else None


class TokenService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def put(self, workspace: str, user_id: str, token: str, body: Any) -> None:
        parsed = parse_body(TokenBody, body)
        if parsed.token not in (None, token):
            raise ValidationFailed.of("token", "must be the token of the path")
        self._store(workspace, user_id, [(token, parsed)])

    def put_many(self, workspace: str, user_id: str, body: Any) -> None:
        # Courier's SDK sends the tokens as the body itself, or under "tokens".
        parsed = parse_body(TokensBody, {"tokens": body} if isinstance(body, list) else body)
        if len({t.token for t in parsed.tokens}) != len(parsed.tokens):
            raise ValidationFailed.of("tokens", "names a token twice")
        self._store(workspace, user_id, [(t.token, t) for t in parsed.tokens])

    def _store(self, workspace: str, user_id: str, tokens: list[tuple[str, TokenBody]]) -> None:
        """The tokens and the index, together; refused whole if the user would hold more
        than the limit."""
        at = now_ms()
        stored = {
            token: {
                **parsed.model_dump(mode="json", exclude_none=True, exclude={"token"}),
                # Registering a token again makes it active again.
                "status": "active",
                "expires_ms": _expires_ms(parsed.expiry_date, at),
                "updated_ms": at,
            }
            for token, parsed in tokens
        }

        def change(currents: list[Document | None]) -> list[Document | None]:
            index = currents[0]
            held = {token for token, _ in indexed_tokens(index)} | set(stored)
            if len(held) > MAX_TOKENS_PER_USER:
                raise ValidationFailed.of(
                    "token",
                    f"user {user_id} would hold more than {MAX_TOKENS_PER_USER} tokens;"
                    " delete the ones no longer used",
                )
            for token, document in stored.items():
                index = _indexed(index, token, document)
            return [index, *stored.values()]

        self.documents.update_all(
            workspace,
            [token_index_path(user_id), *((*tokens_collection(user_id), t) for t in stored)],
            change,
        )

    def _change(
        self,
        workspace: str,
        user_id: str,
        token: str,
        change: Callable[[Document | None], Document | None],
    ) -> Document | None:
        """``change`` of the token's document (None: delete it), its index entry with it.
        Returns the token's document as it was before."""
        before: list[Document | None] = []

        def both(currents: list[Document | None]) -> list[Document | None] | None:
            index, current = currents
            before.append(current)
            changed = change(current)
            if current is None and changed is None:
                return None  # no such token: nothing to write
            return [_indexed(index, token, changed), changed]

        self.documents.update_all(
            workspace, [token_index_path(user_id), (*tokens_collection(user_id), token)], both
        )
        return before[-1]

    def rebuild_index(self, workspace: str, user_id: str) -> int:
        """The user's index from their tokens as stored; returns how many it holds.

        For tokens stored before the index existed. Each token found is read again in
        the transaction that writes the index, so a token changed or deleted meanwhile
        is indexed as it is then, and what the index held already is kept.
        """
        found = [
            token
            for token, _ in self.documents.page(
                workspace, tokens_collection(user_id), None, MAX_TOKENS_PER_USER
            )
        ]

        def change(currents: list[Document | None]) -> list[Document | None]:
            index = currents[0]
            for token, stored in zip(found, currents[1:], strict=True):
                if stored is not None:
                    index = _indexed(index, token, stored)
            return [index or {"tokens": []}, *currents[1:]]

        stored = self.documents.update_all(
            workspace,
            [token_index_path(user_id), *((*tokens_collection(user_id), t) for t in found)],
            change,
        )
        return len(indexed_tokens(stored[0]))

    def get(self, workspace: str, user_id: str, token: str) -> dict[str, Any]:
        stored = self.documents.get(workspace, (*tokens_collection(user_id), token))
        if stored is None:
            raise NotFound(f"user {user_id} has no token {token}")
        return token_view(token, stored)

    def find(self, workspace: str, user_id: str) -> dict[str, Any]:
        page = self.documents.page(workspace, tokens_collection(user_id), None, MAX_TOKENS_PER_USER)
        return {"tokens": [token_view(token, stored) for token, stored in page]}

    def patch(self, workspace: str, user_id: str, token: str, body: Any) -> None:
        """Courier's PATCH: RFC 6902 operations on the token's fields (``provider_key``,
        ``device``, ``expiry_date``, ``properties``, ``tracking``), all or none; the
        result is checked as a PUT's body is. Its status stays as it is."""
        operations = parse_body(ProfilePatch, body).patch
        at = now_ms()

        def applied(current: Document | None) -> Document:
            if current is None:
                raise NotFound(f"user {user_id} has no token {token}")
            fields = {k: current[k] for k in PATCHABLE if current.get(k) is not None}
            changed = patched(fields, operations, "token", MAX_TOKEN_BYTES)
            try:
                parsed = TokenBody.model_validate(changed)
            except ValidationError as exc:
                raise ValidationFailed(
                    [FieldError(e.field, e.reason) for e in field_errors(exc, False)]
                ) from exc
            return {
                **{k: v for k, v in current.items() if k not in PATCHABLE},
                **parsed.model_dump(mode="json", exclude_none=True, exclude={"token"}),
                "expires_ms": _expires_ms(parsed.expiry_date, at),
                "updated_ms": at,
            }

        self._change(workspace, user_id, token, applied)

    def delete(self, workspace: str, user_id: str, token: str) -> None:
        if self._change(workspace, user_id, token, lambda current: None) is None:
            raise NotFound(f"user {user_id} has no token {token}")

    def mark_failed(self, workspace: str, user_id: str, token: str, reason: str) -> None:
        """FCM no longer knows the token: not used again (a token deleted since stays so)."""
        self._change(
            workspace,
            user_id,
            token,
            lambda current: (
                None
                if current is None
                else {**current, "status": "failed", "status_reason": reason[:200]}
            ),
        )
