"""The render stage: route a message to its channels and render each one."""

from __future__ import annotations

import uuid

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.domain.rendering import merged_data, render_channel
from herald.domain.routing import plan_route
from herald.domain.status import MessageStatus, Reason
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import (
    MessageDelayed,
    MessageRendered,
    MessageRouted,
    MessageUnroutable,
)
from herald.observability import metrics
from herald.services.ignoring import note_ignored
from herald.store.base import MessageRepository, ScheduledEvent, TimerRepository, Transition


def route_and_render(message: MessageState) -> Transition | None:
    if message.status not in (MessageStatus.ENQUEUED, MessageStatus.DELAYED):
        return None  # already past this stage: a duplicate or late event
    if message.not_before_ms is not None and now_ms() < message.not_before_ms:
        if message.status == MessageStatus.DELAYED:
            return None  # still waiting: the timer brings the delayed event back
        delayed = message.model_copy(update={"status": MessageStatus.DELAYED})
        return Transition(
            delayed, [NewEvent("message.delayed", MessageDelayed(until_ms=message.not_before_ms))]
        )
    plan = plan_route(message.recipient, message.routing)
    if not plan.routable:
        unroutable = message.model_copy(
            update={
                "status": MessageStatus.UNROUTABLE,
                "reason": Reason.NO_CHANNELS,
                "error": "the recipient has no address for any channel of the routing",
            }
        )
        return Transition(
            unroutable,
            [NewEvent("message.unroutable", MessageUnroutable(reason=Reason.NO_CHANNELS))],
        )
    data = merged_data(message.data, message.recipient)
    routed = message.model_copy(
        update={
            "status": MessageStatus.ROUTED,
            "routed_ms": now_ms(),
            "channels": plan.channels,
            "routing_method": plan.method,
            "rendered": {c: render_channel(c, message.content, data) for c in plan.channels},
        }
    )
    return Transition(
        routed,
        [
            NewEvent("message.routed", MessageRouted(method=plan.method, channels=plan.channels)),
            NewEvent("message.rendered", MessageRendered(channels=plan.channels)),
        ],
    )


class RenderService:
    consumer = "render"

    def __init__(self, messages: MessageRepository, timers: TimerRepository) -> None:
        self.messages = messages
        self.timers = timers

    def handle(self, event: EventEnvelope) -> None:
        applied = self.messages.transition(
            event.workspace, event.message_id, self.consumer, event.id, route_and_render
        )
        if applied is None:
            if event.type == "message.delayed" and self._wait(event):
                return
            note_ignored(self.messages, self.consumer, event)
        elif applied[-1].type == "message.unroutable":
            metrics.record_outcome(MessageStatus.UNROUTABLE, Reason.NO_CHANNELS, None)

    def _wait(self, event: EventEnvelope) -> bool:
        """A delayed message's event, early: have the durable timer bring it back on time."""
        message = self.messages.get_message(event.workspace, event.message_id)
        if message is None or message.status != MessageStatus.DELAYED:
            return False
        until = int(event.payload["until_ms"])
        self.timers.schedule(
            ScheduledEvent(
                # Unique, as every timer: the sweep removes only the one it fired.
                key=f"delay-{event.seq}-{uuid.uuid4().hex[:12]}",
                workspace=event.workspace,
                message_id=event.message_id,
                due_ms=until,
                envelope=event,
                reason="delay",
                created_ms=now_ms(),
            )
        )
        return True
