"""The endpoints a workspace registers, as documents under ``webhook_endpoints``."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.config import DEFAULT_MAX_WEBHOOK_ENDPOINTS
from herald.domain.send import MAX_URL_LENGTH
from herald.errors import NotFound, ValidationFailed
from herald.providers.webhook import SECRET_PREFIX
from herald.resources.parsing import parse_body
from herald.store.documents import DocPath, Document, DocumentStore

ENDPOINTS = "webhook_endpoints"
MESSAGE_UPDATED = "message:updated"
EVENT_TYPES = frozenset({MESSAGE_UPDATED})
PAGE = 100
SECRET_BYTES = 24


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def endpoint_path(endpoint_id: str) -> DocPath:
    return (ENDPOINTS, endpoint_id)


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not parts.hostname:
        raise ValueError("has no host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials")
    return url


def _checked_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - EVENT_TYPES)
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; known: {sorted(EVENT_TYPES)}")
    return sorted(set(events))


class EndpointBody(BaseModel):
    """POST /webhooks/endpoints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    events: list[str] = Field(default_factory=lambda: [MESSAGE_UPDATED], min_length=1)
    description: str = Field(default="", max_length=500)

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return _checked_url(url)

    @field_validator("events")
    @classmethod
    def _events(cls, events: list[str]) -> list[str]:
        return _checked_events(events)


class EndpointChange(BaseModel):
    """PUT /webhooks/endpoints/{id}: what is given changes; ``enabled: true`` re-enables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    events: list[str] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return None if url is None else _checked_url(url)

    @field_validator("events")
    @classmethod
    def _events(cls, events: list[str] | None) -> list[str] | None:
        return None if events is None else _checked_events(events)


class Endpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str = ""
    secret: str
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_ms: int | None = None
    # Deliveries that failed for good since the last one that succeeded.
    consecutive_failures: int = 0
    created_ms: int
    updated_ms: int

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events


def endpoint_view(endpoint: Endpoint, with_secret: bool = False) -> dict[str, Any]:
    """What the API shows; the secret only when it is created or rotated."""
    view = endpoint.model_dump(exclude={"secret"})
    if with_secret:
        view["secret"] = endpoint.secret
    return view


class EndpointService:
    def __init__(
        self, documents: DocumentStore, max_endpoints: int = DEFAULT_MAX_WEBHOOK_ENDPOINTS
    ) -> None:
        self.documents = documents
        self.max_endpoints = max_endpoints

    def _full(self) -> ValidationFailed:
        return ValidationFailed.of(
            "body",
            f"the workspace has {self.max_endpoints} webhook endpoints, the most it may have;"
            " remove one first",
        )

    def register(self, workspace: str, body: Any) -> Endpoint:
        wanted = parse_body(EndpointBody, body)
        if self.documents.count(workspace, (ENDPOINTS,), self.max_endpoints) >= self.max_endpoints:
            raise self._full()
        at = now_ms()
        endpoint = Endpoint(
            id=uuid.uuid4().hex,
            url=wanted.url,
            events=wanted.events,
            description=wanted.description,
            secret=new_secret(),
            created_ms=at,
            updated_ms=at,
        )
        self.documents.put(workspace, endpoint_path(endpoint.id), endpoint.model_dump())
        # Registrations racing past the count: each sees the excess and takes itself back,
        # so the workspace settles at the cap at most.
        if (
            self.documents.count(workspace, (ENDPOINTS,), self.max_endpoints + 1)
            > self.max_endpoints
        ):
            self.documents.delete(workspace, endpoint_path(endpoint.id))
            raise self._full()
        return endpoint

    def get(self, workspace: str, endpoint_id: str) -> Endpoint:
        stored = self.documents.get(workspace, endpoint_path(endpoint_id))
        if stored is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        return Endpoint.model_validate(stored)

    def page(self, workspace: str, cursor: str | None) -> tuple[list[Endpoint], str | None]:
        found = self.documents.page(workspace, (ENDPOINTS,), cursor, PAGE + 1)
        endpoints = [Endpoint.model_validate(doc) for _, doc in found[:PAGE]]
        return endpoints, (endpoints[-1].id if len(found) > PAGE else None)

    def all(self, workspace: str) -> Iterator[Endpoint]:
        """Every endpoint, up to the cap: however many were stored, no event costs more."""
        cursor: str | None = None
        given = 0
        while True:
            endpoints, cursor = self.page(workspace, cursor)
            for endpoint in endpoints[: self.max_endpoints - given]:
                given += 1
                yield endpoint
            if cursor is None or given >= self.max_endpoints:
                return

    def change(self, workspace: str, endpoint_id: str, body: Any) -> Endpoint:
        wanted = parse_body(EndpointChange, body)
        given = wanted.model_dump(exclude_none=True)

        def changed(current: Document | None) -> Document:
            if current is None:
                raise NotFound(f"no webhook endpoint {endpoint_id}")
            updated = {**current, **given, "updated_ms": now_ms()}
            if wanted.enabled:  # a fresh start: the failures that disabled it are forgiven
                updated.update(disabled_reason=None, disabled_ms=None, consecutive_failures=0)
            elif wanted.enabled is False and current.get("enabled", True):
                updated.update(disabled_reason="disabled through the API", disabled_ms=now_ms())
            return updated

        return Endpoint.model_validate(
            self.documents.update(workspace, endpoint_path(endpoint_id), changed)
        )

    def rotate_secret(self, workspace: str, endpoint_id: str) -> Endpoint:
        def rotated(current: Document | None) -> Document:
            if current is None:
                raise NotFound(f"no webhook endpoint {endpoint_id}")
            return {**current, "secret": new_secret(), "updated_ms": now_ms()}

        return Endpoint.model_validate(
            self.documents.update(workspace, endpoint_path(endpoint_id), rotated)
        )

    def delete(self, workspace: str, endpoint_id: str) -> None:
        if not self.documents.delete(workspace, endpoint_path(endpoint_id)):
            raise NotFound(f"no webhook endpoint {endpoint_id}")

    def record_outcome(
        self, workspace: str, endpoint_id: str, succeeded: bool, disable_after: int, why: str
    ) -> None:
        """Counts a delivery that ended; disables the endpoint after ``disable_after`` failures."""

        def counted(current: Document | None) -> Document | None:
            if current is None:
                return None
            endpoint = Endpoint.model_validate(current)
            if succeeded:
                if endpoint.consecutive_failures == 0:
                    return None  # nothing to write: the common case costs no write
                endpoint.consecutive_failures = 0
            else:
                endpoint.consecutive_failures += 1
                if endpoint.enabled and endpoint.consecutive_failures >= disable_after:
                    endpoint.enabled = False
                    endpoint.disabled_ms = now_ms()
                    endpoint.disabled_reason = (
                        f"{endpoint.consecutive_failures} deliveries in a row failed;"
                        f" the last: {why}"
                    )
            endpoint.updated_ms = now_ms()
            return endpoint.model_dump()

        self.documents.update(workspace, endpoint_path(endpoint_id), counted)
