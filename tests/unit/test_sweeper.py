"""The sweeper finishes what a dropped trigger or push left behind."""

from herald.domain.status import MessageStatus
from herald.events.envelope import EventEnvelope
from herald.publish.memory import InMemoryPublisher
from herald.services.relaying import RelayService
from herald.services.sweeping import SweepService
from herald.store.base import ScheduledEvent
from herald.store.memory import InMemorySweep, InMemoryTimers
from tests.unit.fakes import Pipeline

WS = "ws1"


def sweeper(
    p: Pipeline,
    publisher: InMemoryPublisher,
    unpublished_ms: int = -1,
    stuck_ms: int = -1,
    timers: InMemoryTimers | None = None,
) -> SweepService:
    # -1: everything counts as old enough ("older than now + 1 ms").
    return SweepService(
        InMemorySweep(p.messages),
        p.messages,
        RelayService(p.messages, publisher),
        timers,
        unpublished_after_ms=unpublished_ms,
        stuck_after_ms=stuck_ms,
    )


def timer(event: EventEnvelope, key: str, due_ms: int) -> ScheduledEvent:
    return ScheduledEvent(
        key=key,
        workspace=event.workspace,
        message_id=event.message_id,
        due_ms=due_ms,
        envelope=event,
        reason="test",
        created_ms=0,
    )


def test_an_event_whose_trigger_was_lost_is_republished_once() -> None:
    p, publisher = Pipeline(), InMemoryPublisher()
    rid = p.sending.send(
        WS, {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    )
    report = sweeper(p, publisher, stuck_ms=60_000).sweep()
    assert (report.republished, [m.attributes["event_id"] for m in publisher.messages]) == (
        1,
        [f"{WS}:{rid}:1"],
    )
    assert sweeper(p, publisher, stuck_ms=60_000).sweep().republished == 0  # marked published


def test_a_message_stuck_in_a_transient_state_is_redriven_with_its_last_event() -> None:
    p, publisher = Pipeline(), InMemoryPublisher()
    p.consumers = {**p.consumers, "deliver": lambda event: None}  # the push to deliver is lost
    rid = p.sending.send(
        WS, {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    )
    p.drain()
    for event in p.messages.history(WS, rid):
        p.messages.mark_published(WS, rid, event.seq)
    assert p.reader.message(WS, rid)["status"] == MessageStatus.ROUTED

    report = sweeper(p, publisher).sweep()
    assert (report.republished, report.redriven) == (0, 1)
    [redriven] = publisher.messages
    assert redriven.topic == "herald-message-rendered"


def test_messages_at_an_end_or_recently_moved_are_left_alone() -> None:
    p, publisher = Pipeline(), InMemoryPublisher()
    rid = p.sending.send(
        WS, {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    )
    p.drain()
    for event in p.messages.history(WS, rid):
        p.messages.mark_published(WS, rid, event.seq)
    assert sweeper(p, publisher).sweep().redriven == 0  # SENT is not transient
    p.sending.send(WS, {"message": {"to": {"email": "b@example.com"}, "content": {"body": "x"}}})
    report = sweeper(p, publisher, unpublished_ms=60_000, stuck_ms=60_000).sweep()
    assert (report.republished, report.redriven, publisher.messages) == (0, 0, [])


def test_due_timers_are_published_again_and_forgotten() -> None:
    p, publisher, timers = Pipeline(), InMemoryPublisher(), InMemoryTimers()
    rid = p.sending.send(
        WS, {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    )
    [event] = p.messages.history(WS, rid)
    for key, due in (("now", 0), ("later", 2**62)):
        timers.schedule(timer(event, key, due))
    sweep = sweeper(p, publisher, unpublished_ms=60_000, stuck_ms=60_000, timers=timers)
    assert sweep.sweep().timers_fired == 1
    assert [m.attributes["event_id"] for m in publisher.messages] == [event.id]
    assert [key for (_, _, key) in timers.entries] == ["later"]


def test_a_message_waiting_on_a_timer_is_not_stuck() -> None:
    p, publisher, timers = Pipeline(), InMemoryPublisher(), InMemoryTimers()
    p.consumers = {**p.consumers, "deliver": lambda event: None}
    rid = p.sending.send(
        WS, {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    )
    p.drain()
    for event in p.messages.history(WS, rid):
        p.messages.mark_published(WS, rid, event.seq)
    timers.schedule(timer(p.messages.history(WS, rid)[-1], "k", 2**62))
    sweep = sweeper(p, publisher, timers=timers)
    assert sweep.sweep().redriven == 0
    timers.entries.clear()
    assert sweep.sweep().redriven == 1  # no timer: now it is stuck, and re-driven
