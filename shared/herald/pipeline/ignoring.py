"""Events that change nothing are still written down, beside the message's history."""

from __future__ import annotations

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.events.envelope import EventEnvelope
from herald.observability import logs
from herald.store.base import IgnoredEvent, MessageRepository


def note_ignored(
    messages: MessageRepository,
    consumer: str,
    event: EventEnvelope,
    message: MessageState | None = None,
) -> None:
    """Records that ``consumer`` received ``event`` after the message moved past it."""
    current = message or messages.get_message(event.workspace, event.message_id)
    if current is None:
        logs.warning("event for an unknown message", consumer=consumer, event_id=event.id)
        return
    note_ignored_as(messages, current, consumer, event.id, event.type)


def note_ignored_as(
    messages: MessageRepository,
    current: MessageState,
    consumer: str,
    event_id: str,
    event_type: str,
) -> None:
    """Records an arrival that changed nothing, under the event it would have recorded."""
    messages.record_ignored(
        IgnoredEvent(
            workspace=current.workspace,
            message_id=current.id,
            consumer=consumer,
            event_id=event_id,
            event_type=event_type,
            status=current.status.value,
            seen_ms=now_ms(),
        )
    )
    logs.info(
        "event ignored: the message has moved on",
        consumer=consumer,
        event_id=event_id,
        event_type=event_type,
        message_id=current.id,
        workspace=current.workspace,
        status=current.status.value,
    )
