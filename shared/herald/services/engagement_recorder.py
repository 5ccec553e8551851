"""Records opens and clicks: forward-only transitions, each kept the first time only.

A message moves SENT/DELIVERED -> OPENED -> CLICKED. A click implies an open (the
recipient saw the message even if its images were blocked), so a click also sets
``opened_ms`` when no open was seen. Anything else (late, twice, a message that
never went out) changes nothing.
"""

from __future__ import annotations

from herald.domain.feedback import Feedback
from herald.domain.message import MessageState
from herald.domain.status import MessageStatus
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageClicked, MessageOpened
from herald.store.base import MessageRepository, Transition

_OPENABLE = (MessageStatus.SENT, MessageStatus.DELIVERED)
_CLICKABLE = (*_OPENABLE, MessageStatus.OPENED)


def engaged(message: MessageState, feedback: Feedback) -> Transition | None:
    if feedback.kind == "opened" and message.status in _OPENABLE:
        opened = message.model_copy(
            update={"status": MessageStatus.OPENED, "opened_ms": feedback.at_ms}
        )
        return Transition(
            opened, [NewEvent("message.opened", MessageOpened(source=feedback.source))]
        )
    if feedback.kind == "clicked" and message.status in _CLICKABLE:
        clicked = message.model_copy(
            update={
                "status": MessageStatus.CLICKED,
                "clicked_ms": feedback.at_ms,
                "opened_ms": message.opened_ms or feedback.at_ms,
            }
        )
        return Transition(
            clicked, [NewEvent("message.clicked", MessageClicked(source=feedback.source))]
        )
    return None


class EngagementRecorder:
    """The ``FeedbackRecorder`` of opens and clicks."""

    consumer = "engagement"

    def __init__(self, messages: MessageRepository) -> None:
        self.messages = messages

    def record(self, feedback: Feedback) -> bool:
        if feedback.kind not in ("opened", "clicked"):
            return False
        applied = self.messages.transition(
            feedback.workspace,
            feedback.message_id,
            self.consumer,
            f"{feedback.source}~{feedback.source_id}",
            lambda current: engaged(current, feedback),
        )
        return bool(applied)
