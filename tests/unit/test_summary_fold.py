"""The list view's summary is the same for every order of a message's events.

Pub/Sub delivers in no order and sometimes twice, so the property is checked
exhaustively: every message of a set of realistic sends (histories made by the
in-memory pipeline itself) is folded in every order of its events, and in
every order with one event delivered twice, and must always give one summary,
the one the events give in sequence order, with the message's own status.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

from herald.domain.feedback import Feedback, FeedbackKind
from herald.domain.status import MessageStatus
from herald.errors import PermanentProviderError
from herald.events.envelope import EventEnvelope
from herald.resources.lists import ListService
from herald.resources.profiles import ProfileService
from herald.store.base import MessageSummary
from herald.store.summary_fold import fold, join, summary_of
from tests.unit.fakes import Pipeline

WS = "ws1"
EMAIL: dict[str, Any] = {
    "to": {"email": "ada@example.com"},
    "content": {"title": "Hi", "body": "B"},
}


def _send(pipeline: Pipeline, message: dict[str, Any]) -> str:
    request_id = pipeline.sending.send(WS, {"message": message})
    pipeline.drain()
    return request_id


def _report(pipeline: Pipeline, message_id: str, kind: FeedbackKind, at_ms: int) -> None:
    source_id = f"{kind}-{at_ms}"
    pipeline.feedback.record(
        Feedback(WS, message_id, kind, at_ms, "sendgrid", source_id, channel="email")
    )


def sent() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    return pipeline, _send(pipeline, {**EMAIL, "metadata": {"tags": ["a", "b"]}})


def delivered() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    return pipeline, _send(
        pipeline, {"to": {"webhook": "http://127.0.0.1:1/h"}, "content": EMAIL["content"]}
    )


def undeliverable() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    pipeline.email.fail_with = PermanentProviderError("550 no such user", "fake-smtp")
    return pipeline, _send(pipeline, EMAIL)


def unroutable() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    return pipeline, _send(
        pipeline, {**EMAIL, "routing": {"method": "single", "channels": ["webhook"]}}
    )


def canceled_before_routing() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    message_id = pipeline.sending.send(WS, {"message": EMAIL})
    pipeline.canceling.cancel(WS, message_id)
    pipeline.drain()
    return pipeline, message_id


def canceled_once_routed() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    message_id = pipeline.sending.send(WS, {"message": EMAIL})
    enqueued = pipeline.messages.outbox[pipeline.relayed]
    pipeline.relayed += 1
    pipeline.consumers["render"](enqueued)
    pipeline.relayed = len(pipeline.messages.outbox)  # routed and rendered; deliver not called
    pipeline.canceling.cancel(WS, message_id)
    pipeline.drain()
    return pipeline, message_id


def opened_and_clicked() -> tuple[Pipeline, str]:
    pipeline, message_id = sent()
    for kind, at in (("delivered", 10), ("opened", 20), ("clicked", 30)):
        _report(pipeline, message_id, kind, at)  # type: ignore[arg-type]
    pipeline.drain()
    return pipeline, message_id


def complained_and_unsubscribed() -> tuple[Pipeline, str]:
    pipeline, message_id = sent()
    _report(pipeline, message_id, "complained", 10)
    _report(pipeline, message_id, "unsubscribed", 20)
    pipeline.drain()
    return pipeline, message_id


def bounced() -> tuple[Pipeline, str]:
    pipeline, message_id = sent()
    _report(pipeline, message_id, "bounced", 10)
    pipeline.drain()
    return pipeline, message_id


def delayed() -> tuple[Pipeline, str]:
    pipeline = Pipeline()
    message_id = _send(pipeline, {**EMAIL, "delay": {"duration": 60_000}})
    message = pipeline.messages.messages[(WS, message_id)]
    pipeline.messages.messages[(WS, message_id)] = message.model_copy(
        update={"not_before_ms": 0}  # the delay is over
    )
    pipeline.fire_timers()
    return pipeline, message_id


def fanned_out() -> tuple[Pipeline, str]:
    """One subscriber's message of a list send (the send's own record stays out of the list)."""
    pipeline = Pipeline()
    ProfileService(pipeline.documents).merge(WS, "ada", {"profile": {"email": "ada@example.com"}})
    ListService(pipeline.documents).subscribe_user(WS, "beta", "ada", None)
    request_id = _send(pipeline, {"to": {"list_id": "beta"}, "content": EMAIL["content"]})
    [child] = [m for (_, m) in pipeline.messages.messages if m != request_id]
    assert pipeline.messages.messages[(WS, request_id)].status == MessageStatus.FANNED_OUT
    return pipeline, child


SCENARIOS: dict[str, Callable[[], tuple[Pipeline, str]]] = {
    f.__name__: f
    for f in (
        sent,
        delivered,
        undeliverable,
        unroutable,
        canceled_before_routing,
        canceled_once_routed,
        opened_and_clicked,
        complained_and_unsubscribed,
        bounced,
        delayed,
        fanned_out,
    )
}


def fold_every_order(
    events: list[EventEnvelope], times: tuple[int, ...]
) -> tuple[MessageSummary | None, int]:
    """The summary every order of the events folds to (event ``i`` delivered ``times[i]``
    times), and how many orders that covers; fails naming an order that folds otherwise.

    Each order is checked, with its beginnings shared: two beginnings made of the same
    events must fold to the same summary, and from there every ending folds alike.
    """
    seen: dict[tuple[int, ...], MessageSummary | None] = {}
    endings: dict[tuple[int, ...], int] = {}

    def visit(left: tuple[int, ...], summary: MessageSummary | None, order: list[str]) -> int:
        if left in seen:
            assert summary == seen[left], f"the order {order} folds otherwise"
            return endings[left]
        seen[left] = summary
        count = 0 if any(left) else 1
        for i, event in enumerate(events):
            if left[i]:
                rest = (*left[:i], left[i] - 1, *left[i + 1 :])
                count += visit(rest, fold(summary, event) or summary, [*order, event.type])
        endings[left] = count
        return count

    orders = visit(times, None, [])
    return seen[(0,) * len(events)], orders


def folded(events: tuple[EventEnvelope, ...]) -> MessageSummary | None:
    summary = None
    for event in events:
        summary = fold(summary, event) or summary
    return summary


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_order_of_a_messages_events_folds_to_the_same_summary(scenario: str) -> None:
    pipeline, message_id = SCENARIOS[scenario]()
    events = pipeline.messages.history(WS, message_id)
    message = pipeline.messages.get_message(WS, message_id)
    assert message is not None and len(events) >= 2
    in_order = folded(tuple(events))
    assert in_order is not None
    # The projection agrees with the message itself (its status, the last step).
    assert (in_order.status, in_order.seq) == (message.status, message.seq)
    assert in_order == pipeline.summaries.summaries[(WS, message_id)]
    # Once each, then with each event delivered twice in turn.
    for times in [(1,) * len(events)] + [
        tuple(2 if i == j else 1 for i in range(len(events))) for j in range(len(events))
    ]:
        summary, orders = fold_every_order(events, times)
        assert summary == in_order
        assert orders == math.factorial(sum(times)) // math.prod(math.factorial(t) for t in times)


def test_a_status_event_arriving_after_a_later_event_without_a_status_still_counts() -> None:
    """``message.rendered`` (seq 3) before ``message.routed`` (seq 2): the list says ROUTED."""
    pipeline, message_id = canceled_once_routed()
    enqueued, routed, rendered = pipeline.messages.history(WS, message_id)[:3]
    assert [e.type for e in (enqueued, routed, rendered)] == [
        "message.enqueued",
        "message.routed",
        "message.rendered",
    ]
    summary = folded((enqueued, rendered, routed))
    assert summary is not None
    assert (summary.status, summary.seq, summary.last_event) == (
        MessageStatus.ROUTED,
        3,
        "message.rendered",
    )


def _all_event_summaries() -> list[MessageSummary]:
    found = []
    for make in SCENARIOS.values():
        pipeline, message_id = make()
        found += [summary_of(e) for e in pipeline.messages.history(WS, message_id)]
    return found


def test_the_join_is_a_semilattice_over_one_messages_summaries() -> None:
    """Commutative, associative, idempotent: what makes the fold order-free."""
    pipeline, message_id = opened_and_clicked()
    singles = [summary_of(e) for e in pipeline.messages.history(WS, message_id)]
    pairs = [join(a, b) for a, b in itertools.product(singles, repeat=2)]
    for a in singles + pairs:
        assert join(a, a) == a
        for b in singles:
            assert join(a, b) == join(b, a)
            for c in singles:
                assert join(join(a, b), c) == join(a, join(b, c))
    assert _all_event_summaries()  # every scenario's events make summaries


def test_a_summary_stored_before_status_stamps_keeps_its_status_against_late_events() -> None:
    stored = {
        "id": "m",
        "workspace": WS,
        "request_id": "m",
        "status": "SENT",
        "recipient": "ada@example.com",
        "seq": 4,
        "last_event": "message.sent",
        "updated_ms": 4,
    }
    summary = MessageSummary.model_validate(stored)
    assert summary.status_seq == 4
    late_routed = EventEnvelope(
        id=f"{WS}:m:2",
        type="message.routed",
        version=1,
        workspace=WS,
        message_id="m",
        request_id="m",
        seq=2,
        occurred_ms=2,
        payload={"method": "single", "channels": ["email"]},
    )
    assert fold(summary, late_routed) is None
