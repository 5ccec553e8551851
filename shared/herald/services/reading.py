"""Read views in Courier's shapes: a message, its history and output, a request, the list."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from herald.domain.message import MessageState
from herald.errors import NotFound
from herald.events.registry import spec_for
from herald.services.paging import encode_cursor
from herald.store.base import MessageRepository, MessageSummary, SummaryQuery, SummaryRepository


def message_view(message: MessageState) -> dict[str, Any]:
    return {
        "id": message.id,
        "requestId": message.request_id,
        "status": message.status.value,
        "recipient": message.recipient_label(),
        "enqueued": message.enqueued_ms,
        "routed": message.routed_ms,
        "sent": message.sent_ms,
        "delivered": message.delivered_ms,
        "opened": message.opened_ms,
        "clicked": message.clicked_ms,
        "reason": message.reason,
        "error": message.error,
        "traceId": message.trace_id,
        # Courier's SDK requires both as strings: the template sent, "" for inline content.
        "notification": message.template or "",
        "event": message.template or "",
        "tags": message.tags,
        "canceled": message.canceled_ms,
        "channels": message.channels,
        "providers": [
            {
                "channel": {"name": r.channel},
                "provider": r.provider,
                "status": r.outcome.value,
                "ts": r.at_ms,
                "reference": r.reference,
                "reason": r.reason,
                "error": r.error,
            }
            for r in message.results
        ],
    }


def summary_view(summary: MessageSummary) -> dict[str, Any]:
    """Courier's message details as the list shows them, from the message's summary."""
    return {
        "id": summary.id,
        "requestId": summary.request_id,
        "status": summary.status.value,
        "recipient": summary.recipient,
        "enqueued": summary.enqueued_ms,
        "sent": summary.sent_ms,
        "delivered": summary.delivered_ms,
        "opened": summary.opened_ms,
        "clicked": summary.clicked_ms,
        "notification": summary.template or "",
        "event": summary.template or "",
        "tags": summary.tags,
        "reason": summary.reason,
        "error": summary.error,
        "updated": summary.updated_ms,
        "lastEvent": spec_for(summary.last_event).history_type if summary.last_event else None,
        "traceId": summary.trace_id,
    }


def output_view(channel: str, rendered: dict[str, Any]) -> dict[str, Any]:
    """Courier's rendered output of one channel; what a channel has no part for is empty."""
    text = str(rendered.get("text") or rendered.get("body") or "")
    return {
        "channel": channel,
        "channel_id": channel,  # Herald's channels have no ids of their own: the name
        "content": {
            "title": str(rendered.get("title") or rendered.get("subject") or ""),
            "subject": str(rendered.get("subject") or ""),
            "body": str(rendered.get("body") or text),
            "text": text,
            "html": str(rendered.get("html") or ""),
            "blocks": [],
        },
    }


class MessageReader:
    def __init__(self, messages: MessageRepository, summaries: SummaryRepository) -> None:
        self.messages = messages
        self.summaries = summaries

    def message(self, workspace: str, message_id: str) -> dict[str, Any]:
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return message_view(message)

    def history(
        self, workspace: str, message_id: str, history_type: str | None = None
    ) -> dict[str, Any]:
        """The message's events in order; ``history_type`` keeps only those of that type."""
        if self.messages.get_message(workspace, message_id) is None:
            raise NotFound(f"no message {message_id!r}")
        events = self.messages.history(workspace, message_id)
        return {
            "results": [
                {
                    "type": spec_for(e.type).history_type,
                    "ts": e.occurred_ms,
                    "eventId": e.id,
                    "data": e.payload,
                }
                for e in events
                if history_type in (None, spec_for(e.type).history_type)
            ],
            # Deliveries that arrived after the message had moved past them: kept, not applied.
            "ignored": [
                {
                    "type": spec_for(i.event_type).history_type,
                    "eventId": i.event_id,
                    "consumer": i.consumer,
                    "status": i.status,
                    "ts": i.seen_ms,
                }
                for i in self.messages.ignored(workspace, message_id)
                if history_type in (None, spec_for(i.event_type).history_type)
            ],
        }

    def output(self, workspace: str, message_id: str) -> dict[str, Any]:
        """What was rendered for each channel (nothing before the message is routed)."""
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return {
            "results": [
                output_view(channel, message.rendered[channel])
                for channel in message.channels
                if channel in message.rendered
            ]
        }

    def request(self, workspace: str, request_id: str) -> dict[str, Any]:
        request = self.messages.get_request(workspace, request_id)
        if request is None:
            raise NotFound(f"no request {request_id!r}")
        messages = self.messages.get_messages(workspace, request.message_ids)
        return {
            "requestId": request.id,
            "received": request.received_ms,
            "messages": [message_view(m) for m in messages],
        }

    def list(self, workspace: str, query: SummaryQuery) -> dict[str, Any]:
        """A page of summaries, newest first, in Courier's ``{paging, results}``."""
        # One more than the page: whether there is a next page, without a count.
        found = self.summaries.list(workspace, replace(query, limit=query.limit + 1))
        page, more = found[: query.limit], len(found) > query.limit
        return {
            "paging": {"cursor": encode_cursor(page[-1]) if more else None, "more": more},
            "results": [summary_view(s) for s in page],
        }
