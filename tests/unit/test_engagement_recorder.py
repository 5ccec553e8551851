"""Opens and clicks move a message forward, once, and never back."""

from __future__ import annotations

from herald.domain.feedback import Feedback, FeedbackKind
from herald.domain.message import MessageState, RequestRecord
from herald.domain.status import MessageStatus
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageEnqueued
from herald.services.engagement_recorder import EngagementRecorder
from herald.store.memory import InMemoryMessages


def stored(status: MessageStatus) -> tuple[InMemoryMessages, EngagementRecorder]:
    messages = InMemoryMessages()
    message = MessageState(
        id="m1",
        workspace="ws1",
        request_id="m1",
        status=status,
        recipient={},
        content={},
        enqueued_ms=1,
    )
    messages.create_request(
        RequestRecord(id="m1", workspace="ws1", message_ids=["m1"], received_ms=1),
        [(message, [NewEvent("message.enqueued", MessageEnqueued(recipient="x"))])],
    )
    return messages, EngagementRecorder(messages)


def report(kind: FeedbackKind, at_ms: int, source_id: str = "") -> Feedback:
    return Feedback("ws1", "m1", kind, at_ms, "tracking", source_id or f"{kind}-m1")


def test_an_open_then_a_click_are_kept_the_first_time_only() -> None:
    messages, recorder = stored(MessageStatus.SENT)
    assert recorder.record(report("opened", 100))
    assert not recorder.record(report("opened", 200))  # the same report again
    assert not recorder.record(report("opened", 300, "another-open"))  # a later open
    assert recorder.record(report("clicked", 400))
    assert not recorder.record(report("clicked", 500, "another-click"))
    assert not recorder.record(report("opened", 600, "late-open"))  # never back to OPENED
    message = messages.get_message("ws1", "m1")
    assert message is not None
    assert (message.status, message.opened_ms, message.clicked_ms) == ("CLICKED", 100, 400)
    assert [e.type for e in messages.history("ws1", "m1")][-2:] == [
        "message.opened",
        "message.clicked",
    ]


def test_a_click_without_a_seen_open_counts_as_the_open_too() -> None:
    messages, recorder = stored(MessageStatus.DELIVERED)
    assert recorder.record(report("clicked", 400))
    message = messages.get_message("ws1", "m1")
    assert message is not None and (message.opened_ms, message.clicked_ms) == (400, 400)


def test_messages_that_never_went_out_and_other_kinds_are_left_alone() -> None:
    for status in (MessageStatus.ROUTED, MessageStatus.UNDELIVERABLE, MessageStatus.CANCELED):
        messages, recorder = stored(status)
        assert not recorder.record(report("opened", 100))
        assert not recorder.record(report("clicked", 100))
        assert messages.get_message("ws1", "m1").status == status  # type: ignore[union-attr]
    _, recorder = stored(MessageStatus.SENT)
    assert not recorder.record(report("unsubscribed", 100))
    assert not recorder.record(Feedback("ws1", "absent", "opened", 1, "tracking", "x"))
