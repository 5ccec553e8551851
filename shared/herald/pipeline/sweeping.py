"""The sweeper: the safety net under triggers and push deliveries that were dropped.

In the cloud a Firestore trigger or a push can be lost for good (retries off,
retention run out). On a schedule the sweeper

- republishes outbox records never marked published (their trigger was lost),
- re-drives messages that sat in a transient state past a threshold, by
  publishing again the last event they went through (its push was lost); the
  threshold follows the pipeline's own timings (see ``config.stuck_after_s``),
- re-drives, past the same threshold, digest items no digest record has taken:
  ``DIGESTED`` is an end state, so their collection's lost push would leave them
  out of every digest,
- fires the durable timer: publishes again the events whose retry is due,

through the relay's own path, so every consumer dedupes as it always does. A
re-drive publishes: rewriting unchanged state would not, since production fires
no trigger on a no-op write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.domain.status import MessageStatus
from herald.observability import logs
from herald.pipeline.relaying import RelayService
from herald.store.base import MessageRepository, SweepRepository, TimerRepository

# Where a message waits for the next stage; DELAYED too, for a delay whose timer was lost.
TRANSIENT = (MessageStatus.ENQUEUED, MessageStatus.DELAYED, MessageStatus.ROUTED)
TIMER_BUDGET_S = 40.0  # of a sweep's minute, for firing due timers


@dataclass(frozen=True)
class SweepReport:
    republished: int
    redriven: int
    timers_fired: int = 0


class SweepService:
    def __init__(
        self,
        scans: SweepRepository,
        messages: MessageRepository,
        relay: RelayService,
        timers: TimerRepository | None = None,
        *,
        unpublished_after_ms: int,
        stuck_after_ms: int,
        batch: int = 200,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.scans = scans
        self.messages = messages
        self.relay = relay
        self.timers = timers
        self.unpublished_after_ms = unpublished_after_ms
        self.stuck_after_ms = stuck_after_ms
        self.batch = batch
        self.clock = clock

    def sweep(self) -> SweepReport:
        at = self.clock()
        unpublished = self.scans.unpublished_events(at - self.unpublished_after_ms, self.batch)
        for envelope in unpublished:
            self.relay.publish(envelope)
            logs.warning("sweeper republished an event", event_id=envelope.id)
        redriven = 0
        stuck = self.scans.stuck_messages(TRANSIENT, at - self.stuck_after_ms, self.batch)
        for message in stuck:
            if self.timers is not None and self.timers.pending(message.workspace, message.id):
                continue  # waiting for a retry or its delay, as it should: not stuck
            redriven += self._redrive(message)
        untaken = self.scans.untaken_digest_items(at - self.stuck_after_ms, self.batch)
        for message in untaken:
            redriven += self._redrive(message, "digest.item_collected")
        return SweepReport(
            republished=len(unpublished), redriven=redriven, timers_fired=self.fire_timers(at)
        )

    def _redrive(self, message: MessageState, last_type: str | None = None) -> int:
        """Publishes the message's last event again (if it is of ``last_type``, when
        given); 1 if it did."""
        history = self.messages.history(message.workspace, message.id)
        if not history or history[-1].seq != message.seq:
            return 0
        if last_type is not None and history[-1].type != last_type:
            return 0
        self.relay.publish(history[-1])
        logs.warning(
            "sweeper re-drove a message",
            message_id=message.id,
            workspace=message.workspace,
            event_id=history[-1].id,
            status=message.status.value,
        )
        return 1

    def fire_timers(self, at: int) -> int:
        """Publishes every due timer's event again, then forgets the timer.

        A crash between the two publishes it once more: consumers dedupe.
        """
        if self.timers is None:
            return 0
        fired, budget_ends = 0, time.monotonic() + TIMER_BUDGET_S
        while time.monotonic() < budget_ends and (due := self.timers.due(at, self.batch)):
            for entry in due:
                self.relay.publish(entry.envelope)
                self.timers.remove(entry)
            fired += len(due)
        return fired
