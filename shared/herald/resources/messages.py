"""Read views in Courier's shapes: a message, its history and output, a request, the list.

The shapes are ``herald.domain.views``' models; each method answers one's JSON.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from herald.domain.views import (
    ChannelOutput,
    HistoryEntry,
    IgnoredDelivery,
    MessageHistory,
    MessageList,
    MessageOutput,
    MessageSummaryView,
    MessageView,
    Paging,
    RequestView,
)
from herald.errors import NotFound
from herald.events.registry import spec_for
from herald.observability import tracing
from herald.resources.message_cursor import encode_cursor
from herald.store.base import (
    Attempt,
    AttemptRepository,
    MessageRepository,
    MessageSummary,
    SummaryQuery,
    SummaryRepository,
)


def summary_view(summary: MessageSummary) -> MessageSummaryView:
    """Courier's message details as the list shows them, from the log's summary."""
    return MessageSummaryView(
        id=summary.id,
        request_id=summary.request_id,
        status=summary.status,
        recipient=summary.recipient,
        enqueued=summary.enqueued_ms,
        sent=summary.sent_ms,
        delivered=summary.delivered_ms,
        opened=summary.opened_ms,
        clicked=summary.clicked_ms,
        notification=summary.template or "",
        event=summary.event or summary.template or "",
        tags=summary.tags,
        reason=summary.reason,
        error=summary.error,
        updated=summary.updated_ms,
        last_event=spec_for(summary.last_event).history_type if summary.last_event else None,
        trace_id=summary.trace_id,
    )


class MessageReader:
    def __init__(
        self,
        messages: MessageRepository,
        summaries: SummaryRepository,
        attempts: AttemptRepository,
    ) -> None:
        self.messages = messages
        self.summaries = summaries
        self.attempts = attempts

    def message(self, workspace: str, message_id: str) -> dict[str, Any]:
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return MessageView.of(message).as_json()

    def history(
        self, workspace: str, message_id: str, history_type: str | None = None
    ) -> dict[str, Any]:
        """The message's events in order; ``history_type`` keeps only those of that type."""
        if self.messages.get_message(workspace, message_id) is None:
            raise NotFound(f"no message {message_id!r}")
        events = self.messages.history(workspace, message_id)
        return MessageHistory(
            results=[
                HistoryEntry(
                    type=spec_for(e.type).history_type,
                    ts=e.occurred_ms,
                    event_id=e.id,
                    data=e.payload,
                )
                for e in events
                if history_type in (None, spec_for(e.type).history_type)
            ],
            # Deliveries that arrived after the message had moved past them: kept, not applied.
            ignored=[
                IgnoredDelivery(
                    type=spec_for(i.event_type).history_type,
                    event_id=i.event_id,
                    consumer=i.consumer,
                    status=i.status,
                    ts=i.seen_ms,
                )
                for i in self.messages.ignored(workspace, message_id)
                if history_type in (None, spec_for(i.event_type).history_type)
            ],
        ).as_json()

    def output(self, workspace: str, message_id: str) -> dict[str, Any]:
        """What was rendered for each channel (nothing before the message is routed)."""
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return MessageOutput(
            results=[
                ChannelOutput.of(channel, message.rendered[channel])
                for channel in message.channels
                if channel in message.rendered
            ]
        ).as_json()

    def trace_id(self, workspace: str, message_id: str) -> str | None:
        """The id of the message's trace (its spans, in Cloud Trace or the span files)."""
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return tracing.trace_id_of(message.traceparent)

    def provider_attempts(self, workspace: str, message_id: str) -> list[Attempt]:
        """Each provider tried for the message: its tries, when, and what it answered."""
        if self.messages.get_message(workspace, message_id) is None:
            raise NotFound(f"no message {message_id!r}")
        return self.attempts.of_message(workspace, message_id)

    def request(self, workspace: str, request_id: str) -> dict[str, Any]:
        request = self.messages.get_request(workspace, request_id)
        if request is None:
            raise NotFound(f"no request {request_id!r}")
        messages = self.messages.get_messages(workspace, request.message_ids)
        return RequestView(
            request_id=request.id,
            received=request.received_ms,
            messages=[MessageView.of(m) for m in messages],
        ).as_json()

    def list(self, workspace: str, query: SummaryQuery) -> dict[str, Any]:
        """A page of summaries, newest first, in Courier's ``{paging, results}``."""
        # One more than the page: whether there is a next page, without a count.
        found = self.summaries.list(workspace, replace(query, limit=query.limit + 1))
        page, more = found[: query.limit], len(found) > query.limit
        return MessageList(
            paging=Paging(cursor=encode_cursor(page[-1]) if more else None, more=more),
            results=[summary_view(s) for s in page],
        ).as_json()
