"""The feedback recorder and the suppression list, on the in-memory pipeline."""

from __future__ import annotations

from typing import Any

from herald.domain.feedback import Feedback, FeedbackKind
from herald.domain.message import MessageState
from herald.domain.status import MessageStatus, Reason
from herald.domain.suppression import SuppressionReason, normalise
from herald.store.base import SummaryQuery
from tests.unit.fakes import FakeProvider, Pipeline

WS = "ws1"


def send(pipeline: Pipeline, to: dict[str, Any], **message: Any) -> str:
    body = {"message": {"to": to, "content": {"title": "Hi", "body": "B"}, **message}}
    request_id = pipeline.sending.send(WS, body)
    pipeline.drain()
    return request_id


def state(pipeline: Pipeline, message_id: str) -> MessageState:
    found = pipeline.messages.get_message(WS, message_id)
    assert found is not None
    return found


def report(
    message_id: str, kind: FeedbackKind, source_id: str, at_ms: int = 1_000, **extra: Any
) -> Feedback:
    return Feedback(WS, message_id, kind, at_ms, "sendgrid", source_id, channel="email", **extra)


def history(pipeline: Pipeline, message_id: str) -> list[str]:
    return [e.type for e in pipeline.messages.history(WS, message_id)]


def test_receipts_move_a_sent_message_forward_once_each_and_set_their_first_times() -> None:
    pipeline = Pipeline()
    mid = send(pipeline, {"email": "ada@example.com"})
    assert state(pipeline, mid).status == MessageStatus.SENT

    assert pipeline.feedback.record(report(mid, "delivered", "ev-1", at_ms=10))
    assert not pipeline.feedback.record(report(mid, "delivered", "ev-1", at_ms=10))  # twice
    assert pipeline.feedback.record(report(mid, "opened", "ev-2", at_ms=20))
    assert not pipeline.feedback.record(report(mid, "opened", "ev-3", at_ms=25))  # a second open
    assert pipeline.feedback.record(report(mid, "clicked", "ev-4", at_ms=30, detail="https://x"))

    message = state(pipeline, mid)
    assert message.status == MessageStatus.CLICKED
    assert (message.delivered_ms, message.opened_ms, message.clicked_ms) == (10, 20, 30)
    assert history(pipeline, mid)[-3:] == ["message.delivered", "message.opened", "message.clicked"]
    clicked = pipeline.messages.history(WS, mid)[-1]
    assert clicked.payload == {"channel": "email", "source": "sendgrid", "url": "https://x"}
    pipeline.drain()
    [summary] = pipeline.reader.summaries.list(WS, SummaryQuery())
    assert summary.status == MessageStatus.CLICKED
    assert None not in (summary.delivered_ms, summary.opened_ms, summary.clicked_ms)
    [sent] = [e for e in pipeline.messages.history(WS, mid) if e.type == "message.sent"]
    assert summary.sent_ms == sent.occurred_ms  # a receipt does not move when it was sent


def test_reports_out_of_order_never_move_a_message_back_and_are_noted() -> None:
    pipeline = Pipeline()
    mid = send(pipeline, {"email": "ada@example.com"})
    assert pipeline.feedback.record(report(mid, "clicked", "ev-click", at_ms=30))
    message = state(pipeline, mid)
    # A click implies the open and the delivery that were not reported (yet).
    assert (message.delivered_ms, message.opened_ms, message.clicked_ms) == (30, 30, 30)
    assert not pipeline.feedback.record(report(mid, "delivered", "ev-late", at_ms=10))
    assert not pipeline.feedback.record(report(mid, "bounced", "ev-bounce", at_ms=40))
    assert state(pipeline, mid).status == MessageStatus.CLICKED
    ignored = pipeline.messages.ignored(WS, mid)
    assert {(i.event_type, i.status, i.consumer) for i in ignored} == {
        ("message.delivered", "CLICKED", "feedback:sendgrid"),
        ("message.undeliverable", "CLICKED", "feedback:sendgrid"),
    }


def test_feedback_for_an_unsent_or_unknown_message_changes_nothing() -> None:
    pipeline = Pipeline()
    content = {"title": "T", "body": "B"}
    pipeline.sending.send(WS, {"message": {"to": {"email": "a@example.com"}, "content": content}})
    [queued] = pipeline.messages.messages.values()  # enqueued, not yet rendered or sent
    assert not pipeline.feedback.record(report(queued.id, "delivered", "ev-1"))
    assert state(pipeline, queued.id).status == MessageStatus.ENQUEUED
    assert not pipeline.feedback.record(report("no-such-message", "delivered", "ev-2"))


def test_a_hard_bounce_ends_the_message_and_suppresses_the_next_send_before_any_provider() -> None:
    pipeline = Pipeline()
    first = send(pipeline, {"email": "Ada@Example.com"})
    assert pipeline.feedback.record(report(first, "bounced", "ev-b", detail="550 no such user"))
    bounced = state(pipeline, first)
    assert (bounced.status, bounced.reason, bounced.error) == (
        MessageStatus.UNDELIVERABLE,
        Reason.BOUNCED,
        "550 no such user",
    )
    entry = pipeline.suppressions.find(WS, "ada@example.com")
    assert entry is not None and entry.reason == SuppressionReason.BOUNCED
    assert entry.message_id == first

    calls = pipeline.email.calls
    second = send(pipeline, {"email": "ada@example.com"})
    ended = state(pipeline, second)
    assert (ended.status, ended.reason) == (MessageStatus.UNDELIVERABLE, Reason.BOUNCED)
    assert pipeline.email.calls == calls  # no provider was called
    assert pipeline.suppressions.find("other-workspace", "ada@example.com") is None


def test_a_soft_bounce_ends_the_message_without_suppressing_the_address() -> None:
    pipeline = Pipeline()
    mid = send(pipeline, {"email": "ada@example.com"})
    assert pipeline.feedback.record(report(mid, "bounced", "ev-b", suppress=False))
    assert state(pipeline, mid).reason == Reason.BOUNCED
    assert pipeline.suppressions.find(WS, "ada@example.com") is None


def test_a_bounce_after_a_delivery_is_noted_but_still_suppresses_the_address() -> None:
    pipeline = Pipeline()
    mid = send(pipeline, {"email": "ada@example.com"})
    assert pipeline.feedback.record(report(mid, "delivered", "ev-d"))
    assert not pipeline.feedback.record(report(mid, "bounced", "ev-b"))
    assert state(pipeline, mid).status == MessageStatus.DELIVERED
    assert pipeline.suppressions.find(WS, "ada@example.com") is not None


def test_a_complaint_is_history_and_suppression_and_later_sends_end_unsubscribed() -> None:
    pipeline = Pipeline()
    mid = send(pipeline, {"email": "ada@example.com"})
    assert pipeline.feedback.record(report(mid, "complained", "ev-spam"))
    assert not pipeline.feedback.record(report(mid, "complained", "ev-spam"))
    assert state(pipeline, mid).status == MessageStatus.SENT
    assert history(pipeline, mid).count("message.complained") == 1
    entry = pipeline.suppressions.find(WS, "ada@example.com")
    assert entry is not None and entry.reason == SuppressionReason.COMPLAINED

    later = send(pipeline, {"email": "ada@example.com"})
    assert state(pipeline, later).reason == Reason.UNSUBSCRIBED


def test_a_suppressed_channel_gives_way_to_the_next_one_of_a_single_routing() -> None:
    sms = FakeProvider("fake-twilio", "sms")
    pipeline = Pipeline(extra=[sms])
    pipeline.suppressions.add(WS, "ada@example.com", SuppressionReason.BOUNCED, "test")
    mid = send(
        pipeline,
        {"email": "ada@example.com", "phone_number": "+15005550006"},
        routing={"method": "single", "channels": ["email", "sms"]},
    )
    message = state(pipeline, mid)
    assert message.status == MessageStatus.SENT
    assert [r.channel for r in message.results] == ["email", "sms"]
    assert message.results[0].reason == Reason.BOUNCED
    assert pipeline.email.calls == 0 and sms.calls == 1


def test_addresses_are_normalised_and_anything_else_is_refused() -> None:
    assert normalise(" Ada@Example.COM ") == ("email", "ada@example.com")
    assert normalise("+1 (500) 555-0006") == ("sms", "+15005550006")
    assert normalise("5005550006") is None
    assert normalise("not-an-address") is None
    assert normalise("@example.com") is None


def test_an_opt_in_lifts_an_opt_out_but_never_a_bounce_or_a_complaint() -> None:
    suppressions = Pipeline().suppressions
    suppressions.add(WS, "+15005550001", SuppressionReason.BOUNCED, "twilio")
    suppressions.add(WS, "+15005550002", SuppressionReason.COMPLAINED, "twilio")
    suppressions.add(WS, "+15005550003", SuppressionReason.UNSUBSCRIBED, "twilio")
    assert [suppressions.opt_in(WS, f"+1500555000{n}") for n in (1, 2, 3, 4)] == [
        False,
        False,
        True,
        False,
    ]
    assert suppressions.find(WS, "+15005550001") is not None
    assert suppressions.find(WS, "+15005550003") is None


def test_a_bounce_on_one_channel_of_all_routing_leaves_a_message_another_channel_sent() -> None:
    sms = FakeProvider("fake-twilio", "sms")
    pipeline = Pipeline(extra=[sms])
    mid = send(
        pipeline,
        {"email": "ada@example.com", "phone_number": "+15005550006"},
        routing={"method": "all", "channels": ["email", "sms"]},
    )
    assert pipeline.feedback.record(report(mid, "bounced", "b1")) is False
    assert state(pipeline, mid).status == MessageStatus.SENT
    alone = send(pipeline, {"email": "bob@example.com"})
    assert pipeline.feedback.record(report(alone, "bounced", "b2")) is True
    assert state(pipeline, alone).status == MessageStatus.UNDELIVERABLE
