"""The sweeper finishes what a dropped trigger or push left behind."""

from pathlib import Path

import pytest

from herald.clock import now_ms
from herald.config import Settings
from herald.domain.status import MessageStatus
from herald.events.envelope import EventEnvelope
from herald.pipeline.relaying import RelayService
from herald.pipeline.sweeping import SweepService
from herald.publish.memory import InMemoryPublisher
from herald.store.base import ScheduledEvent
from herald.store.memory import InMemorySweep, InMemoryTimers
from herald_tools.local.stack import Ports, Stack
from tests.unit.fakes import Pipeline

WS = "ws1"


def sweeper(
    p: Pipeline,
    publisher: InMemoryPublisher,
    unpublished_ms: int = -1,
    stuck_ms: int = -1,
    timers: InMemoryTimers | None = None,
    at_ms: int | None = None,
) -> SweepService:
    # -1: everything counts as old enough ("older than now + 1 ms").
    return SweepService(
        InMemorySweep(p.messages),
        p.messages,
        RelayService(p.messages, publisher),
        timers,
        unpublished_after_ms=unpublished_ms,
        stuck_after_ms=stuck_ms,
        clock=now_ms if at_ms is None else (lambda: at_ms),
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


def test_a_lost_push_is_redriven_by_the_first_sweep_once_the_threshold_has_passed() -> None:
    p, publisher = Pipeline(), InMemoryPublisher()
    p.consumers = {**p.consumers, "deliver": lambda event: None}  # the push to deliver is lost
    rid = p.sending.send(
        WS, {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    )
    p.drain()
    for event in p.messages.history(WS, rid):
        p.messages.mark_published(WS, rid, event.seq)
    moved = p.messages.messages[(WS, rid)].updated_ms
    assert moved is not None
    stuck_ms = 190_000
    at_threshold = sweeper(p, publisher, stuck_ms=stuck_ms, at_ms=moved + stuck_ms)
    assert at_threshold.sweep().redriven == 0  # waited exactly the threshold: not yet
    past = sweeper(p, publisher, stuck_ms=stuck_ms, at_ms=moved + stuck_ms + 1)
    assert past.sweep().redriven == 1


@pytest.mark.parametrize(
    ("env", "stuck_after_s"),
    [
        # Cloud defaults: a 120 s lease, a 60 s ack deadline, a 600 s longest backoff.
        ({}, 780.0),
        (
            {
                "HERALD_ATTEMPT_LEASE_S": "6",
                "HERALD_PUSH_ACK_DEADLINE_S": "20",
                "HERALD_PUSH_MAX_BACKOFF_S": "10",
            },
            36.0,
        ),
        ({"HERALD_ATTEMPT_LEASE_S": "6", "HERALD_SWEEP_STUCK_AFTER_S": "45"}, 45.0),
    ],
)
def test_the_stuck_threshold_follows_the_pipelines_timings_unless_set(
    env: dict[str, str], stuck_after_s: float
) -> None:
    assert Settings.from_env(env).sweep_stuck_after_s == stuck_after_s


def test_the_local_stacks_sweep_follows_its_own_push_settings(tmp_path: Path) -> None:
    stack = Stack(ports=Ports.random(), state_dir=tmp_path)
    settings = Settings.from_env(stack.function_environment("sweep"))
    # herald up: deliver's 120 s lease, a 60 s ack deadline and pushes retried within 10 s.
    expected = 120 + stack.retry.ack_deadline_s + stack.retry.maximum_backoff_s
    assert settings.sweep_stuck_after_s == expected == 190
    fast = Stack.with_fast_clocks(tmp_path)
    assert Settings.from_env(fast.function_environment("sweep")).sweep_stuck_after_s == 76
