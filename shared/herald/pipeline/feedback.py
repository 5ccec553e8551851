"""Receipts, engagement and complaints, applied to the message they are about.

Each ``Feedback`` is one transition, deduped on (source, source id) by the
transition's receipt (consumer ``feedback:<source>``, event id = the source's
id), so a report seen twice is applied once. Statuses only move forward,
SENT -> DELIVERED -> OPENED -> CLICKED, and each first time sets its timestamp
(a click also fills an open and a delivery not reported yet). A bounce ends a
SENT message UNDELIVERABLE (reason BOUNCED); a complaint or an unsubscribe adds a
history event. A report that arrives after the message has moved past it
changes nothing and is noted beside the history. Bounces, complaints and
global unsubscribes suppress the address whether or not the message moved.
"""

from __future__ import annotations

import hashlib
import re

from herald.domain.feedback import Feedback
from herald.domain.message import ChannelOutcome, MessageState
from herald.domain.status import MessageStatus, Reason
from herald.domain.suppression import SuppressionReason
from herald.events.envelope import NewEvent
from herald.events.payloads import (
    MessageClicked,
    MessageComplained,
    MessageDelivered,
    MessageOpened,
    MessageUndeliverable,
    MessageUnsubscribed,
)
from herald.observability import logs, metrics
from herald.pipeline.ignoring import note_ignored_as
from herald.resources.suppressions import SuppressionList, address_of
from herald.store.base import MessageRepository, Transition

# The event each kind of report would have recorded: how an ignored one shows in the history.
EVENT_OF_KIND = {
    "delivered": "message.delivered",
    "opened": "message.opened",
    "clicked": "message.clicked",
    "bounced": "message.undeliverable",
    "complained": "message.complained",
    "unsubscribed": "message.unsubscribed",
}

# How far along a sent message is; feedback moves it only to a later rank.
RANK = {
    MessageStatus.SENT: 0,
    MessageStatus.DELIVERED: 1,
    MessageStatus.OPENED: 2,
    MessageStatus.CLICKED: 3,
}
# Reports that move a message forward, to the status each moves it to.
_PROGRESS = {
    "delivered": MessageStatus.DELIVERED,
    "opened": MessageStatus.OPENED,
    "clicked": MessageStatus.CLICKED,
}
_SAFE_ID = re.compile(r"[A-Za-z0-9._:=+-]{1,200}")
_SAFE_ID_CHARS = 200
_SUPPRESSION_REASONS = {
    "bounced": SuppressionReason.BOUNCED,
    "complained": SuppressionReason.COMPLAINED,
    "unsubscribed": SuppressionReason.UNSUBSCRIBED,
}


def receipt_event_id(source_id: str) -> str:
    """The source's id as a receipt's event id: as it is when it is a safe document id."""
    if len(source_id) <= _SAFE_ID_CHARS and _SAFE_ID.fullmatch(source_id):
        return source_id
    return hashlib.sha256(source_id.encode()).hexdigest()


def _channel(message: MessageState, feedback: Feedback) -> str | None:
    """The channel the report is about: its own, else the channel the message went out on."""
    if feedback.channel:
        return feedback.channel
    taken = (ChannelOutcome.SENT, ChannelOutcome.DELIVERED)
    sent = [r.channel for r in message.results if r.outcome in taken]
    return sent[-1] if sent else None


def _progress(
    message: MessageState, feedback: Feedback, target: MessageStatus
) -> Transition | None:
    rank = RANK.get(message.status)
    if rank is None or rank >= RANK[target]:
        return None
    at = feedback.at_ms
    # Each time is set the first time only; a later stage implies the earlier ones.
    update: dict[str, object] = {"status": target, "delivered_ms": message.delivered_ms or at}
    if message.reason == Reason.OUTCOME_UNKNOWN:
        update.update(reason=None, error=None)  # the receipt says what the outcome was
    if target in (MessageStatus.OPENED, MessageStatus.CLICKED):
        update["opened_ms"] = message.opened_ms or at
    if target == MessageStatus.CLICKED:
        update["clicked_ms"] = message.clicked_ms or at
    channel = _channel(message, feedback)
    event: NewEvent
    if target == MessageStatus.DELIVERED:
        provider = feedback.provider or feedback.source
        event = NewEvent(
            "message.delivered", MessageDelivered(channel=channel or "", provider=provider)
        )
    elif target == MessageStatus.OPENED:
        event = NewEvent("message.opened", MessageOpened(channel=channel, source=feedback.source))
    else:
        event = NewEvent(
            "message.clicked",
            MessageClicked(channel=channel, source=feedback.source, url=feedback.detail),
        )
    return Transition(message.model_copy(update=update), [event])


def _bounce(message: MessageState, feedback: Feedback) -> Transition | None:
    if message.status != MessageStatus.SENT:
        return None  # delivered, opened or clicked already (or never sent): too late
    bounced = _channel(message, feedback)
    if any(
        r.channel != bounced and r.outcome in (ChannelOutcome.SENT, ChannelOutcome.DELIVERED)
        for r in message.results
    ):
        return None  # another channel of "all" routing got it there: the message stands
    error = feedback.detail or f"bounced ({feedback.source})"
    ended = message.model_copy(
        update={"status": MessageStatus.UNDELIVERABLE, "reason": Reason.BOUNCED, "error": error}
    )
    payload = MessageUndeliverable(
        reason=Reason.BOUNCED, error=error, channel=_channel(message, feedback)
    )
    return Transition(ended, [NewEvent("message.undeliverable", payload)])


def _history_event(message: MessageState, feedback: Feedback) -> Transition | None:
    """A complaint or an unsubscribe: an event in the history, the status unchanged."""
    if message.status not in RANK:
        return None  # never sent, or undeliverable: nothing it could be about
    channel = _channel(message, feedback)
    if feedback.kind == "complained":
        complained = MessageComplained(
            channel=channel, source=feedback.source, detail=feedback.detail
        )
        return Transition(message, [NewEvent("message.complained", complained)])
    unsubscribed = MessageUnsubscribed(
        channel=channel, source=feedback.source, suppressed=feedback.suppresses
    )
    return Transition(message, [NewEvent("message.unsubscribed", unsubscribed)])


def apply_feedback(message: MessageState, feedback: Feedback) -> Transition | None:
    """The transition ``feedback`` causes, or None when it comes too late to change anything."""
    if feedback.kind in _PROGRESS:
        return _progress(message, feedback, _PROGRESS[feedback.kind])
    if feedback.kind == "bounced":
        return _bounce(message, feedback)
    return _history_event(message, feedback)


class FeedbackService:
    """Herald's ``FeedbackRecorder``: provider callbacks and tracking both report here."""

    def __init__(self, messages: MessageRepository, suppressions: SuppressionList) -> None:
        self.messages = messages
        self.suppressions = suppressions

    def record(self, feedback: Feedback) -> bool:
        consumer = f"feedback:{feedback.source}"
        message = self.messages.get_message(feedback.workspace, feedback.message_id)
        if message is None:
            logs.warning(
                "feedback for an unknown message",
                source=feedback.source,
                message_id=feedback.message_id,
                workspace=feedback.workspace,
            )
            return False
        applied = self.messages.transition(
            feedback.workspace,
            feedback.message_id,
            consumer,
            receipt_event_id(feedback.source_id),
            lambda current: apply_feedback(current, feedback),
        )
        if feedback.suppresses:
            self._suppress(message, feedback)
        if applied is None:
            self._note_late(message, consumer, feedback)
            return False
        metrics.record_feedback(feedback.source, feedback.kind, "applied")
        if applied[-1].type == "message.undeliverable":
            metrics.record_outcome("UNDELIVERABLE", Reason.BOUNCED, _channel(message, feedback))
        return True

    def _suppress(self, message: MessageState, feedback: Feedback) -> None:
        reason = _SUPPRESSION_REASONS.get(feedback.kind)
        channel = _channel(message, feedback)
        address = address_of(message.recipient, channel) if channel else None
        if reason is None or address is None:
            return
        self.suppressions.add(
            feedback.workspace,
            address,
            reason,
            feedback.source,
            message_id=message.id,
            detail=feedback.detail,
        )

    def _note_late(self, message: MessageState, consumer: str, feedback: Feedback) -> None:
        """A report the message had moved past (or one seen before): written down as an
        ignored event."""
        metrics.record_feedback(feedback.source, feedback.kind, "ignored")
        current = self.messages.get_message(message.workspace, message.id) or message
        note_ignored_as(
            self.messages,
            current,
            consumer,
            receipt_event_id(feedback.source_id),
            EVENT_OF_KIND[feedback.kind],
        )
