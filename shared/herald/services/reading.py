"""Read views in Courier's shapes: a message, its history, a request's messages."""

from __future__ import annotations

from typing import Any

from herald.domain.message import MessageState
from herald.errors import NotFound
from herald.events.registry import spec_for
from herald.store.base import MessageRepository, MessageSummary, SummaryRepository


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
        "opened": None,
        "clicked": None,
        "reason": message.reason,
        "error": message.error,
        "traceId": message.trace_id,
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
    return {
        "id": summary.id,
        "requestId": summary.request_id,
        "status": summary.status.value,
        "recipient": summary.recipient,
        "enqueued": summary.enqueued_ms,
        "updated": summary.updated_ms,
        "lastEvent": spec_for(summary.last_event).history_type if summary.last_event else None,
        "traceId": summary.trace_id,
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

    def history(self, workspace: str, message_id: str) -> dict[str, Any]:
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
            ],
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

    def list(
        self,
        workspace: str,
        request_id: str | None,
        status: str | None,
        limit: int,
        trace_id: str | None = None,
    ) -> dict[str, Any]:
        found = self.summaries.list(
            workspace, request_id=request_id, status=status, limit=limit, trace_id=trace_id
        )
        return {
            "results": [summary_view(s) for s in found],
            "paging": {"more": len(found) == limit},
        }
