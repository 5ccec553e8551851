"""A template's delivery funnel, counted as its messages change (Courier's notification metrics).

A message is counted in the commit of the transition that changes it, beside its summary:
``sent`` and ``errors`` once per channel result the transition adds (a provider's failure is
an error even when another then sends it), and ``delivered``, ``opened``, ``clicked`` and
``undeliverable`` when the summary first shows them. A redelivered event changes neither
the message nor its summary, so it counts nothing twice.

Each counted change costs one counter write: a counter is a template's UTC day on one
channel and provider, in one of ``SHARDS`` shards, holding the day's counts and, in a map,
each hour's. Hours are read from their day's counters, and weeks and months are summed
from days, so a commit writes one counter rather than one per granularity. Reading a window
reads its days' counters by an indexed query, never the messages, and at most
``MAX_COUNTERS_READ`` of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from herald.domain.message import ChannelOutcome, DeliveryResult, MessageState
from herald.domain.status import MessageStatus
from herald.store.base import MessageSummary

Metric = Literal["sent", "delivered", "opened", "clicked", "errors", "undeliverable"]
METRICS: tuple[Metric, ...] = ("sent", "delivered", "opened", "clicked", "errors", "undeliverable")
Unit = Literal["hour", "day"]  # the buckets counters keep
UNITS: tuple[Unit, ...] = ("hour", "day")
Grid = Literal["hour", "day", "month"]  # the UTC grids a bucket starts on
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
# A counter takes about one write a second (Firestore's sustained rate for a document), so
# a template's counted changes on one channel and provider are spread over this many: it
# sustains about 20 a second, above a list send's goal of 18.6 messages a second.
SHARDS = 20
# The counters one read may take (a window's days x channels and providers x shards).
MAX_COUNTERS_READ = 20_000
HOURS = "hours"  # the map of a counter's hours, keyed "h00" to "h23"
UNKNOWN = "unknown"  # the channel or provider of a message that reached none


class TooManyCounters(Exception):
    """A window's counters are more than one read takes."""


@dataclass(frozen=True)
class Counted:
    """One message counted once in one metric, on a channel and provider, at a time."""

    metric: Metric
    channel: str
    provider: str
    at_ms: int


@dataclass(frozen=True)
class CounterKey:
    """A template's UTC day on one channel and provider, in one shard."""

    template: str
    day_ms: int
    channel: str
    provider: str
    shard: int

    def document_id(self) -> str:
        """A counter's id: a hash, so that no template id can make two keys one."""
        parts = "\x00".join((self.template, str(self.day_ms), self.channel, self.provider))
        return hashlib.sha256(f"{parts}\x00{self.shard}".encode()).hexdigest()[:40]

    def identity(self) -> dict[str, Any]:
        """The fields a counter is found and reported by."""
        return {
            "template": self.template,
            "day_ms": self.day_ms,
            "channel": self.channel,
            "provider": self.provider,
        }


# A counter's increments: a day's metric ("sent",) or an hour's ("hours", "h07", "sent").
Increments = dict[tuple[str, ...], int]


@dataclass(frozen=True)
class BucketCounts:
    """A bucket's counts on one channel and provider (its shards summed)."""

    bucket_ms: int
    channel: str
    provider: str
    counts: dict[str, int]


class TemplateMetricsRepository(Protocol):
    most: int  # the counters one read takes at most

    def counts(
        self, workspace: str, template: str, unit: Unit, start_ms: int, end_ms: int
    ) -> list[BucketCounts]:
        """The counts of the template's buckets of ``unit`` starting in [start, end);
        ``TooManyCounters`` when the window's counters are more than one read takes."""
        ...


def bucket_start(grid: Grid, at_ms: int) -> int:
    """The start of the UTC hour, day or month ``at_ms`` falls in."""
    at = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC)
    if grid == "hour":
        start = at.replace(minute=0, second=0, microsecond=0)
    elif grid == "day":
        start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp() * 1000)


def month_after(start_ms: int) -> int:
    at = dt.datetime.fromtimestamp(start_ms / 1000, dt.UTC)
    days = calendar.monthrange(at.year, at.month)[1]
    return start_ms + days * DAY_MS


def shard_of(message_id: str) -> int:
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:8], 16) % SHARDS


def hour_field(at_ms: int) -> str:
    return f"h{(at_ms - bucket_start('day', at_ms)) // HOUR_MS:02d}"


def increments(
    template: str, message_id: str, found: Iterable[Counted]
) -> dict[CounterKey, Increments]:
    """What a transition adds to its template's counters: one counter per day, channel and
    provider it counts on (usually one), in the message's shard."""
    shard = shard_of(message_id)
    changes: dict[CounterKey, Increments] = {}
    for one in found:
        key = CounterKey(template, bucket_start("day", one.at_ms), one.channel, one.provider, shard)
        added = changes.setdefault(key, {})
        for path in ((one.metric,), (HOURS, hour_field(one.at_ms), one.metric)):
            added[path] = added.get(path, 0) + 1
    return changes


def apply(counter: dict[str, Any], added: Increments, add: Callable[[Any, int], Any]) -> None:
    """Sets each field ``added`` names, in the counter's maps, to ``add(its value, n)``."""
    for path, n in added.items():
        *maps, metric = path
        leaf = counter
        for name in maps:
            leaf = leaf.setdefault(name, {})
        leaf[metric] = add(leaf.get(metric), n)


def rows(unit: Unit, counter: Mapping[str, Any]) -> list[tuple[int, str, str, dict[str, int]]]:
    """A stored counter's buckets of ``unit``: (bucket, channel, provider, counts)."""
    day, channel, provider = counter["day_ms"], counter["channel"], counter["provider"]
    if unit == "day":
        return [(day, channel, provider, {m: counter[m] for m in METRICS if m in counter})]
    return [
        (day + int(hour[1:]) * HOUR_MS, channel, provider, dict(counts))
        for hour, counts in sorted((counter.get(HOURS) or {}).items())
    ]


def in_window(
    unit: Unit,
    counters: Sequence[Mapping[str, Any]],
    start_ms: int,
    end_ms: int,
    most: int = MAX_COUNTERS_READ,
) -> list[BucketCounts]:
    """The counters' buckets of ``unit`` starting in [start, end), summed over shards;
    ``TooManyCounters`` when there are more than ``most`` counters."""
    if len(counters) > most:
        raise TooManyCounters(f"more than {most} counters")
    found = [row for c in counters for row in rows(unit, c) if start_ms <= row[0] < end_ms]
    return summed(found)


def _new_results(before: MessageState | None, after: MessageState) -> list[DeliveryResult]:
    # A handful of results: compared as models, none encoded on the commit's path.
    earlier = before.results if before else []
    return [r for r in after.results if r not in earlier]


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


def summed(found: Sequence[tuple[int, str, str, dict[str, int]]]) -> list[BucketCounts]:
    """Shards' rows (bucket, channel, provider, counts) summed per bucket, channel and
    provider, oldest bucket first."""
    totals: dict[tuple[int, str, str], dict[str, int]] = {}
    for bucket_ms, channel, provider, counts in found:
        total = totals.setdefault((bucket_ms, channel, provider), dict.fromkeys(METRICS, 0))
        for metric in METRICS:
            total[metric] += int(counts.get(metric, 0))
    return [
        BucketCounts(bucket, channel, provider, counts)
        for (bucket, channel, provider), counts in sorted(totals.items())
    ]
