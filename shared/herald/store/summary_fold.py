"""Each message's summary, the read view the list API serves, folded from its events.

The message repository folds a transition's events into the summary in the
same commit as the transition itself (``fold_events``), so the list shows what
the message's state says as soon as it is committed, and no function runs for
it. The projection is a join all the same, so that no order of folding can
give another result: each event becomes the summary it alone implies
(``summary_of``), and summaries are joined field by field (``join``), each by
what the field means:

- what the message is now (status, with its reason and error) comes from the
  status event of the highest sequence number; so do the last event and when
  it happened, from any event;
- a first time (sent, delivered, opened, clicked) is the earliest one seen;
- what the message was sent with (recipient, tags, template, event, tenant, trace id, when it
  was enqueued) comes from its enqueued event alone.

Each rule is a maximum or a minimum, so the join is commutative, associative
and idempotent: every order of the same events, duplicates included, folds to
the same summary. A list send's own record (a fan-out) has no summary: the list
shows the messages it made, not it.
"""

from __future__ import annotations

from collections.abc import Sequence

from herald.domain.status import MessageStatus, Reason
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.store.base import MessageSummary

FIRST_TIMES = ("sent_ms", "delivered_ms", "opened_ms", "clicked_ms")


def status_after(event_type: str) -> MessageStatus | None:
    history_type = spec_for(event_type).history_type
    return MessageStatus(history_type) if history_type in MessageStatus.__members__ else None


def summary_of(event: EventEnvelope) -> MessageSummary:
    """What one event alone says about its message."""
    status = status_after(event.type)
    reason, error = _failure(event) if status is not None else (None, None)
    alone = MessageSummary(
        id=event.message_id,
        workspace=event.workspace,
        request_id=event.request_id,
        seq=event.seq,
        last_event=event.type,
        updated_ms=event.occurred_ms,
        # An event without a status says nothing of it: the lowest stamp, so that any
        # status event wins over it.
        status=status or MessageStatus.ENQUEUED,
        status_seq=event.seq if status is not None else 0,
        reason=reason,
        error=error,
        recipient="",
    )
    return alone.model_copy(update={**_sent_with(event), **_first_times(event)})


def join(a: MessageSummary, b: MessageSummary) -> MessageSummary:
    """The summary of both sets of events: commutative, associative and idempotent."""
    latest = max(a, b, key=lambda s: (s.seq, s.last_event, s.updated_ms))
    current = max(a, b, key=lambda s: (s.status_seq, s.status, s.reason or "", s.error or ""))
    origin = min(
        (a, b),
        key=lambda s: (
            s.enqueued_ms is None,
            s.enqueued_ms or 0,
            not s.recipient,
            s.recipient,
            s.trace_id or "",
            s.template or "",
            s.event or "",
            s.tenant_id or "",
            s.tags,
        ),
    )
    return MessageSummary(
        id=a.id,
        workspace=a.workspace,
        request_id=a.request_id,
        seq=latest.seq,
        last_event=latest.last_event,
        updated_ms=latest.updated_ms,
        status=current.status,
        status_seq=current.status_seq,
        reason=current.reason,
        error=current.error,
        enqueued_ms=origin.enqueued_ms,
        recipient=origin.recipient,
        trace_id=origin.trace_id,
        tags=list(origin.tags),
        template=origin.template,
        event=origin.event,
        tenant_id=origin.tenant_id,
        **{field: _earliest(getattr(a, field), getattr(b, field)) for field in FIRST_TIMES},
    )


def fold(current: MessageSummary | None, event: EventEnvelope) -> MessageSummary | None:
    """The summary with ``event`` joined in; None when it changes nothing (write nothing)."""
    incoming = summary_of(event)
    if current is None:
        return incoming
    joined = join(current, incoming)
    return None if joined == current else joined


def fold_events(
    current: MessageSummary | None, events: Sequence[EventEnvelope]
) -> MessageSummary | None:
    """The summary with each of ``events`` joined in; None when they change nothing."""
    folded = current
    for event in events:
        folded = fold(folded, event) or folded
    return None if folded == current else folded


def _earliest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _sent_with(event: EventEnvelope) -> dict[str, object]:
    """What the enqueued event records of the send; other events know none of it."""
    if event.type != "message.enqueued":
        return {}
    return {
        "enqueued_ms": event.occurred_ms,
        "recipient": event.payload.get("recipient", ""),
        "trace_id": event.payload.get("trace_id"),
        "tags": event.payload.get("tags") or [],
        "template": event.payload.get("template"),
        "event": event.payload.get("event"),
        "tenant_id": event.payload.get("tenant_id"),
    }


def _first_times(event: EventEnvelope) -> dict[str, int]:
    """The first times an event stands for: a delivery implies the send, a click the open."""
    at = event.occurred_ms
    if event.type == "message.sent":
        return {"sent_ms": at}
    if event.type == "message.delivered":
        return {"sent_ms": at, "delivered_ms": at}
    if event.type == "message.opened":
        return {"delivered_ms": at, "opened_ms": at}
    if event.type == "message.clicked":
        return {"delivered_ms": at, "opened_ms": at, "clicked_ms": at}
    return {}


def _failure(event: EventEnvelope) -> tuple[str | None, str | None]:
    """The reason and error that come with a status event's status."""
    if event.type in ("message.undeliverable", "message.unroutable"):
        return event.payload.get("reason"), event.payload.get("error")
    if event.type == "message.sent" and event.payload.get("outcome_unknown"):
        return Reason.OUTCOME_UNKNOWN, None
    return None, None
