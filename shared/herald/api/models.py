"""The public API's response bodies, as models: their JSON Schemas are the published contract.

The read views themselves are built in ``herald.services.reading``; these models
describe them (a unit test validates the real views against them), so a key
added to or dropped from a view without its model fails the suite. Every key a
view always writes is required here, even when its value may be null: clients
may rely on its presence.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from herald.domain.message import ChannelOutcome
from herald.domain.status import MessageStatus


class _Body(BaseModel):
    # Courier's keys are camelCase; extra="forbid" makes a view's new key a failing test.
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class SendAccepted(_Body):
    """``202`` answer to ``POST /send``."""

    request_id: str


class ChannelRef(_Body):
    name: str


class ProviderResult(_Body):
    """One provider's outcome for one channel of a message."""

    channel: ChannelRef
    provider: str
    status: ChannelOutcome
    ts: int
    reference: str | None
    reason: str | None
    error: str | None


class MessageView(_Body):
    """``GET /messages/{id}``, and each message of ``GET /requests/{requestId}``."""

    id: str
    request_id: str
    status: MessageStatus
    recipient: str
    enqueued: int
    routed: int | None
    sent: int | None
    delivered: int | None
    opened: int | None  # the first open reported (a provider's open event, the pixel)
    clicked: int | None
    reason: str | None
    error: str | None
    trace_id: str | None
    channels: list[str]
    providers: list[ProviderResult]
    # The stored template sent (Courier's "notification", and its "event"); "" for inline
    # content: Courier's SDK requires strings.
    notification: str
    event: str
    tags: list[str]
    canceled: int | None


class HistoryEntry(_Body):
    type: str  # the event's history name (ENQUEUED, ROUTED, ...)
    ts: int
    event_id: str
    data: dict[str, Any]  # the event's payload, as its event schema describes it


class IgnoredDelivery(_Body):
    """An event a consumer received after the message had moved past it."""

    type: str
    event_id: str
    consumer: str
    status: str  # the message's status when the event arrived
    ts: int


class MessageHistory(_Body):
    """``GET /messages/{id}/history``."""

    results: list[HistoryEntry]
    ignored: list[IgnoredDelivery]


class OutputContent(BaseModel):
    # Courier's rendered-content keys are snake_case (channel_id), unlike the message's.
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    subject: str
    body: str
    text: str
    html: str
    blocks: list[dict[str, Any]]


class ChannelOutput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str
    channel_id: str
    content: OutputContent


class MessageOutput(BaseModel):
    """``GET /messages/{id}/output``: what was rendered for each channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    results: list[ChannelOutput]


class RequestView(_Body):
    """``GET /requests/{requestId}``."""

    request_id: str
    received: int
    messages: list[MessageView]


class MessageSummaryView(_Body):
    id: str
    request_id: str
    status: MessageStatus
    recipient: str
    enqueued: int | None
    sent: int | None
    delivered: int | None
    opened: int | None
    clicked: int | None
    notification: str
    event: str
    tags: list[str]
    reason: str | None
    error: str | None
    updated: int
    last_event: str | None
    trace_id: str | None


class Paging(_Body):
    cursor: str | None
    more: bool


class MessageList(_Body):
    """``GET /messages``: summaries from the list's read view."""

    results: list[MessageSummaryView]
    paging: Paging


class FieldError(_Body):
    field: str
    reason: str


class ErrorBody(_Body):
    """Every 4xx and 5xx answer, in Courier's shape; ``errors`` only on a 400."""

    type: str
    message: str
    errors: list[FieldError] | None = None


# Schema file name under schemas/api/ -> (model, what it is): what `herald generate` writes.
RESPONSE_BODIES: dict[str, tuple[type[BaseModel], str]] = {
    "send-response": (SendAccepted, "POST /send 202 response body"),
    "message": (MessageView, "GET /messages/{id} response body"),
    "message-history": (MessageHistory, "GET /messages/{id}/history response body"),
    "message-output": (MessageOutput, "GET /messages/{id}/output response body"),
    "request": (RequestView, "GET /requests/{requestId} response body"),
    "message-list": (MessageList, "GET /messages response body"),
    "error": (ErrorBody, "every error response body (4xx, 5xx)"),
}
