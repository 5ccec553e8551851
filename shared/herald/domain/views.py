"""A message's views in Courier's shapes: what the API answers and webhooks carry.

Each shape is declared once, here, as a model: the readers build the model and
send its JSON (``as_json()``), and the OpenAPI document and ``schemas/api/`` publish
its schema. Every key a view writes is required, even when its value may be
null: clients may rely on its presence.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from herald.domain.message import ChannelOutcome, MessageState
from herald.domain.status import MessageStatus


class View(BaseModel):
    """A response body: built by name, sent by alias."""

    # Courier's keys are camelCase; extra="forbid" refuses a key the shape does not have.
    model_config = ConfigDict(
        alias_generator=to_camel, extra="forbid", frozen=True, populate_by_name=True
    )

    def as_json(self) -> dict[str, Any]:
        """The JSON the API answers: Courier's keys, plain values."""
        return self.model_dump(mode="json", by_alias=True)


class ChannelRef(View):
    name: str


class ProviderResult(View):
    """One provider's outcome for one channel of a message."""

    channel: ChannelRef
    provider: str
    status: ChannelOutcome
    ts: int
    reference: str | None
    reason: str | None
    error: str | None


class MessageView(View):
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
    # The stored template sent (Courier's "notification"), and the send's metadata.event,
    # else the template too (Courier's "event"); "" for inline content: Courier's SDK
    # requires strings.
    notification: str
    event: str
    tags: list[str]
    canceled: int | None
    # The automation run whose send (or send-list) step made this message.
    automation_run_id: str | None
    # The message this one resends, when it is a resend.
    resent_from: str | None

    @classmethod
    def of(cls, message: MessageState) -> MessageView:
        return cls(
            id=message.id,
            request_id=message.request_id,
            status=message.status,
            recipient=message.recipient_label(),
            enqueued=message.enqueued_ms,
            routed=message.routed_ms,
            sent=message.sent_ms,
            delivered=message.delivered_ms,
            opened=message.opened_ms,
            clicked=message.clicked_ms,
            reason=message.reason,
            error=message.error,
            trace_id=message.trace_id,
            notification=message.template or "",
            event=message.event or message.template or "",
            tags=message.tags,
            canceled=message.canceled_ms,
            automation_run_id=message.automation_run_id,
            resent_from=message.resent_from,
            channels=message.channels,
            providers=[
                ProviderResult(
                    channel=ChannelRef(name=r.channel),
                    provider=r.provider,
                    status=r.outcome,
                    ts=r.at_ms,
                    reference=r.reference,
                    reason=r.reason,
                    error=r.error,
                )
                for r in message.results
            ],
        )


class HistoryEntry(View):
    type: str  # the event's history name (ENQUEUED, ROUTED, ...)
    ts: int
    event_id: str
    data: dict[str, Any]  # the event's payload, as its event schema describes it


class IgnoredDelivery(View):
    """An event a consumer received after the message had moved past it."""

    type: str
    event_id: str
    consumer: str
    status: str  # the message's status when the event arrived
    ts: int


class MessageHistory(View):
    """``GET /messages/{id}/history``."""

    results: list[HistoryEntry]
    ignored: list[IgnoredDelivery]


class _SnakeView(View):
    # Courier's rendered-content keys are snake_case (channel_id), unlike the message's.
    model_config = ConfigDict(alias_generator=None)


class OutputContent(_SnakeView):
    title: str
    subject: str
    body: str
    text: str
    html: str
    blocks: list[dict[str, Any]]


class ChannelOutput(_SnakeView):
    channel: str
    channel_id: str
    content: OutputContent

    @classmethod
    def of(cls, channel: str, rendered: dict[str, Any]) -> ChannelOutput:
        """Courier's rendered output of one channel; what a channel has no part for is empty."""
        text = str(rendered.get("text") or rendered.get("body") or "")
        return cls(
            channel=channel,
            channel_id=channel,  # Herald's channels have no ids of their own: the name
            content=OutputContent(
                title=str(rendered.get("title") or rendered.get("subject") or ""),
                subject=str(rendered.get("subject") or ""),
                body=str(rendered.get("body") or text),
                text=text,
                html=str(rendered.get("html") or ""),
                blocks=[],
            ),
        )


class MessageOutput(_SnakeView):
    """``GET /messages/{id}/output``: what was rendered for each channel."""

    results: list[ChannelOutput]


class RequestView(View):
    """``GET /requests/{requestId}``."""

    request_id: str
    received: int
    messages: list[MessageView]


class MessageSummaryView(View):
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


class Paging(View):
    cursor: str | None
    more: bool


class MessageList(View):
    """``GET /messages``: summaries from the log's read view."""

    results: list[MessageSummaryView]
    paging: Paging
