"""Canceling a message through the API, as Courier's ``POST /messages/{id}/cancel``.

A message can be canceled until a provider has it: the cancel is a normal
transition (CANCELED, with a ``message.canceled`` outbox record), so the render
and deliver stages, which only move a message forward from the statuses they
expect, leave it alone from then on.
"""

from __future__ import annotations

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.domain.status import MessageStatus
from herald.errors import NotFound
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageCanceled
from herald.store.base import MessageRepository, Transition

# Not yet handed to a provider. A ROUTED message may be in deliver's hands right
# now: deliver checks again just before each provider call (see delivering.py).
CANCELABLE = frozenset({MessageStatus.ENQUEUED, MessageStatus.DELAYED, MessageStatus.ROUTED})

# One cancel per message: a second finds its receipt and changes nothing.
CANCEL_EVENT_ID = "cancel"


def cancel(message: MessageState) -> Transition | None:
    if message.status not in CANCELABLE:
        return None
    canceled = message.model_copy(
        update={"status": MessageStatus.CANCELED, "canceled_ms": now_ms()}
    )
    return Transition(
        canceled,
        [
            NewEvent(
                "message.canceled",
                MessageCanceled(status=message.status, fanout=message.fanout is not None),
            )
        ],
    )


class CancelService:
    consumer = "api"

    def __init__(self, messages: MessageRepository) -> None:
        self.messages = messages

    def cancel(self, workspace: str, message_id: str) -> MessageState:
        """The message after the attempt: CANCELED, or as it was when it was too late."""
        self.messages.transition(workspace, message_id, self.consumer, CANCEL_EVENT_ID, cancel)
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return message
