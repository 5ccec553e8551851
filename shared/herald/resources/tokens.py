"""A user's device tokens, in Courier's shape: ``/users/{user_id}/tokens``.

The push channel takes a user's newest active FCM token when a send names only
the user and their profile has none. A token FCM reports unregistered is marked
``failed`` and not used again, until the app registers it anew.
"""

from __future__ import annotations

import datetime
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
        self._check_room(workspace, user_id, {token})
        self._store(workspace, user_id, token, parsed)

    def put_many(self, workspace: str, user_id: str, body: Any) -> None:
        # Courier's SDK sends the tokens as the body itself, or under "tokens".
        parsed = parse_body(TokensBody, {"tokens": body} if isinstance(body, list) else body)
        if len({t.token for t in parsed.tokens}) != len(parsed.tokens):
            raise ValidationFailed.of("tokens", "names a token twice")
        self._check_room(workspace, user_id, {t.token for t in parsed.tokens})
        for token in parsed.tokens:
            self._store(workspace, user_id, token.token, token)

    def _check_room(self, workspace: str, user_id: str, adding: set[str]) -> None:
        held = {
            token
            for token, _ in self.documents.page(
                workspace, tokens_collection(user_id), None, MAX_TOKENS_PER_USER + 1
            )
        }
        if len(held | adding) > MAX_TOKENS_PER_USER:
            raise ValidationFailed.of(
                "token",
                f"user {user_id} would hold more than {MAX_TOKENS_PER_USER} tokens;"
                " delete the ones no longer used",
            )

    def _store(self, workspace: str, user_id: str, token: str, parsed: TokenBody) -> None:
        at = now_ms()
        self.documents.put(
            workspace,
            (*tokens_collection(user_id), token),
            {
                **parsed.model_dump(mode="json", exclude_none=True, exclude={"token"}),
                # Registering a token again makes it active again.
                "status": "active",
                "expires_ms": _expires_ms(parsed.expiry_date, at),
                "updated_ms": at,
            },
        )

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

        self.documents.update(workspace, (*tokens_collection(user_id), token), applied)

    def delete(self, workspace: str, user_id: str, token: str) -> None:
        if not self.documents.delete(workspace, (*tokens_collection(user_id), token)):
            raise NotFound(f"user {user_id} has no token {token}")

    def mark_failed(self, workspace: str, user_id: str, token: str, reason: str) -> None:
        """FCM no longer knows the token: not used again (a token deleted since stays so)."""
        self.documents.update(
            workspace,
            (*tokens_collection(user_id), token),
            lambda current: (
                None
                if current is None
                else {**current, "status": "failed", "status_reason": reason[:200]}
            ),
        )
