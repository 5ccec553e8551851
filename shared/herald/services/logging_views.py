"""The log stage: keeps each message's summary, the read view the list API serves.

It never writes a message's status: the summary is a projection of the events,
applied in sequence order so that late or duplicate events change nothing.
"""

from __future__ import annotations

from herald.domain.status import MessageStatus
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.store.base import MessageSummary, SummaryRepository


def status_after(event_type: str) -> MessageStatus | None:
    history_type = spec_for(event_type).history_type
    return MessageStatus(history_type) if history_type in MessageStatus.__members__ else None


def fold(current: MessageSummary | None, event: EventEnvelope) -> MessageSummary | None:
    summary = current or MessageSummary(
        id=event.message_id,
        workspace=event.workspace,
        request_id=event.request_id,
        status=MessageStatus.ENQUEUED,
        recipient="",
        seq=0,
        last_event="",
        updated_ms=event.occurred_ms,
    )
    update: dict[str, object] = {}
    if event.type == "message.enqueued" and summary.enqueued_ms is None:
        update["enqueued_ms"] = event.occurred_ms
        update["recipient"] = event.payload.get("recipient", "")
        update["trace_id"] = event.payload.get("trace_id")
        update["tags"] = event.payload.get("tags") or []
        update["template"] = event.payload.get("template")
    if event.seq > summary.seq:
        update.update(seq=event.seq, last_event=event.type, updated_ms=event.occurred_ms)
        if (status := status_after(event.type)) is not None:
            update["status"] = status
        outcome = _outcome(event)
        for first_time in ("sent_ms", "delivered_ms", "opened_ms", "clicked_ms"):
            if getattr(summary, first_time) is not None:
                outcome.pop(first_time, None)  # first times only: a receipt keeps when it was sent
        update.update(outcome)
    if not update:
        return None
    return summary.model_copy(update=update)


def _outcome(event: EventEnvelope) -> dict[str, object]:
    """What an end event adds to the summary: when it was sent or delivered, or why not."""
    if event.type == "message.sent":
        return {"sent_ms": event.occurred_ms}
    if event.type == "message.delivered":
        return {"sent_ms": event.occurred_ms, "delivered_ms": event.occurred_ms}
    if event.type in ("message.opened", "message.clicked"):
        # An open or click implies the delivery (and a click the open) not reported yet.
        engaged: dict[str, object] = {
            "delivered_ms": event.occurred_ms,
            "opened_ms": event.occurred_ms,
        }
        if event.type == "message.clicked":
            engaged["clicked_ms"] = event.occurred_ms
        return engaged
    if event.type in ("message.undeliverable", "message.unroutable"):
        return {"reason": event.payload.get("reason"), "error": event.payload.get("error")}
    return {}


class LogService:
    consumer = "log"

    def __init__(self, summaries: SummaryRepository) -> None:
        self.summaries = summaries

    def handle(self, event: EventEnvelope) -> None:
        if event.payload.get("fanout"):
            # A list send's own record: the list shows the messages it made, not it.
            return
        self.summaries.apply(
            event.workspace, event.message_id, lambda current: fold(current, event)
        )
