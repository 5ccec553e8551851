"""A template's delivery funnel, counted as its messages change (Courier's notification metrics).

A message is counted in the commit of the transition that changes it, beside its summary:
``sent`` and ``errors`` once per channel result the transition adds (a provider's failure is
an error even when another then sends it), and ``delivered``, ``opened``, ``clicked`` and
``undeliverable`` when the summary first shows them. A redelivered event changes neither
the message nor its summary, so it counts nothing twice. Counts are kept per template, UTC
hour, day and month, channel and provider, each spread over a few shards so that a busy
template's counters take their writes in parallel; reading a window reads its buckets'
counters by an indexed query, never the messages.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from herald.domain.message import ChannelOutcome, DeliveryResult, MessageState
from herald.domain.status import MessageStatus
from herald.store.base import MessageSummary

Metric = Literal["sent", "delivered", "opened", "clicked", "errors", "undeliverable"]
METRICS: tuple[Metric, ...] = ("sent", "delivered", "opened", "clicked", "errors", "undeliverable")
Unit = Literal["hour", "day", "month"]
UNITS: tuple[Unit, ...] = ("hour", "day", "month")
# A counter takes about one write a second; a template's sends spread over this many.
SHARDS = 8
UNKNOWN = "unknown"  # the channel or provider of a message that reached none


@dataclass(frozen=True)
class Counted:
    """One message counted once in one metric, on a channel and provider, at a time."""

    metric: Metric
    channel: str
    provider: str
    at_ms: int


@dataclass(frozen=True)
class CounterKey:
    template: str
    unit: Unit
    bucket_ms: int
    channel: str
    provider: str
    shard: int

    def document_id(self) -> str:
        """A counter's id: a hash, so that no template id can make two keys one."""
        parts = "\x00".join(
            (self.template, self.unit, str(self.bucket_ms), self.channel, self.provider)
        )
        return hashlib.sha256(f"{parts}\x00{self.shard}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class BucketCounts:
    """A bucket's counts on one channel and provider (its shards summed)."""

    bucket_ms: int
    channel: str
    provider: str
    counts: dict[str, int]


class TemplateMetricsRepository(Protocol):
    def counts(
        self, workspace: str, template: str, unit: Unit, start_ms: int, end_ms: int
    ) -> list[BucketCounts]:
        """The counts of the template's buckets of ``unit`` starting in [start, end)."""
        ...


def bucket_start(unit: Unit, at_ms: int) -> int:
    """The start of the UTC hour, day or month ``at_ms`` falls in."""
    at = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC)
    if unit == "hour":
        start = at.replace(minute=0, second=0, microsecond=0)
    elif unit == "day":
        start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp() * 1000)


def month_after(start_ms: int) -> int:
    at = dt.datetime.fromtimestamp(start_ms / 1000, dt.UTC)
    days = calendar.monthrange(at.year, at.month)[1]
    return start_ms + days * 86_400_000


def shard_of(message_id: str) -> int:
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:8], 16) % SHARDS


def counter_keys(template: str, message_id: str, counted: Counted) -> list[CounterKey]:
    """The counters (one per unit) a counted message adds one to."""
    shard = shard_of(message_id)
    return [
        CounterKey(
            template,
            unit,
            bucket_start(unit, counted.at_ms),
            counted.channel,
            counted.provider,
            shard,
        )
        for unit in UNITS
    ]


def _new_results(before: MessageState | None, after: MessageState) -> list[DeliveryResult]:
    earlier = {r.model_dump_json() for r in (before.results if before else [])}
    return [r for r in after.results if r.model_dump_json() not in earlier]


def _sent_on(message: MessageState) -> tuple[str, str]:
    """The channel and provider the message went out on (its last that did)."""
    for result in reversed(message.results):
        if result.outcome != ChannelOutcome.FAILED:
            return result.channel, result.provider
    if message.results:
        return message.results[-1].channel, message.results[-1].provider
    return UNKNOWN, UNKNOWN


def counted(
    before: MessageState | None,
    after: MessageState,
    summary_before: MessageSummary | None,
    summary_after: MessageSummary | None,
) -> list[Counted]:
    """What a transition from ``before`` to ``after`` counts of the message (nothing when
    it has no template, or changed nothing the funnel shows)."""
    if after.template is None or summary_after is None:
        return []
    found: list[Counted] = []
    for result in _new_results(before, after):
        metric: Metric = "errors" if result.outcome == ChannelOutcome.FAILED else "sent"
        found.append(Counted(metric, result.channel, result.provider, result.at_ms))
    channel, provider = _sent_on(after)
    for metric, field in (
        ("delivered", "delivered_ms"),
        ("opened", "opened_ms"),
        ("clicked", "clicked_ms"),
    ):
        first = getattr(summary_after, field)
        if first is not None and (summary_before is None or getattr(summary_before, field) is None):
            found.append(Counted(metric, channel, provider, first))
    undeliverable = summary_after.status == MessageStatus.UNDELIVERABLE
    if undeliverable and (
        summary_before is None or summary_before.status != MessageStatus.UNDELIVERABLE
    ):
        found.append(Counted("undeliverable", channel, provider, summary_after.updated_ms))
    return found


def summed(rows: Sequence[tuple[int, str, str, dict[str, int]]]) -> list[BucketCounts]:
    """Shards' rows (bucket, channel, provider, counts) summed per bucket, channel and
    provider, oldest bucket first."""
    totals: dict[tuple[int, str, str], dict[str, int]] = {}
    for bucket_ms, channel, provider, counts in rows:
        total = totals.setdefault((bucket_ms, channel, provider), dict.fromkeys(METRICS, 0))
        for metric in METRICS:
            total[metric] += int(counts.get(metric, 0))
    return [
        BucketCounts(bucket, channel, provider, counts)
        for (bucket, channel, provider), counts in sorted(totals.items())
    ]
