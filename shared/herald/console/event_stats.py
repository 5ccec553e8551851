"""The event web's last hour, counted from the spans Herald records for the signed-in
workspace: on each edge (a function producing an event, a function consuming one) how many
went along it, how many of those failed, and the 95th percentile of their durations; and a
function's recent failures.

A production is the relay's span for the event's outbox record (its duration is the
publish), credited to the function whose span wrote the record (the relay span's parent);
a consumption is the consumer's ``<topic> process`` span (its duration is the handling).
Events kept as history only are never relayed, so never counted.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from herald.events.registry import EVENTS, EventSpec
from herald.observability.spanfile import RecentSpans, SpanRecord, TraceStore
from herald.observability.spantree import format_ms

WINDOW_MS = 3_600_000  # the last hour
RELAY_SPAN = "outbox relay"
PROCESS_SUFFIX = " process"
SERVICE_PREFIX = "herald-"
# The most failures a function's page lists (the newest).
MAX_FAILURES_SHOWN = 50


@dataclass(frozen=True)
class EdgeStats:
    count: int
    errors: int
    p95_ms: float | None

    @property
    def label(self) -> str:
        if not self.count:
            return "0"
        p95 = format_ms(self.p95_ms) if self.p95_ms is not None else "—"
        return f"{self.count} · {self.errors} failed · p95 {p95}"


NO_EVENTS = EdgeStats(0, 0, None)


@dataclass(frozen=True)
class WebCounts:
    produced: dict[tuple[str, str], EdgeStats]  # (function, event)
    consumed: dict[tuple[str, str], EdgeStats]  # (event, function)
    failures: dict[str, int]  # failed spans per function
    truncated: bool  # older spans were not read: counts may be short
    # Events whose productions are counted but cannot be credited to one of their
    # producers (Cloud Monitoring's figures: the relay does not know which wrote it).
    uncredited: frozenset[str] = field(default_factory=frozenset)


def p95(durations_ms: Sequence[float]) -> float | None:
    """The nearest-rank 95th percentile: the smallest value at least 95% are at or under."""
    if not durations_ms:
        return None
    ordered = sorted(durations_ms)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def edge_stats(spans: Sequence[SpanRecord]) -> EdgeStats:
    return EdgeStats(
        count=len(spans),
        errors=sum(span.status == "ERROR" for span in spans),
        p95_ms=p95([span.duration_ms for span in spans]),
    )


def function_of(service: str) -> str:
    return service.removeprefix(SERVICE_PREFIX)


def _producer(span: SpanRecord, spec: EventSpec, services: dict[str, str]) -> str | None:
    """The function that wrote the relayed record: the relay span's parent's, or the event's
    only producer when that span was not read."""
    writer = function_of(services.get(span.parent_span_id or "", ""))
    if writer in spec.producers:
        return writer
    return spec.producer if len(spec.producers) == 1 else None


def _of_workspace(span: SpanRecord, workspace: str) -> bool:
    return span.attributes.get("herald.workspace") == workspace


def count_web(
    recent: RecentSpans, workspace: str, events: Sequence[EventSpec] = EVENTS
) -> WebCounts:
    by_name = {spec.name: spec for spec in events}
    by_topic = {spec.topic: spec for spec in events}
    produced: dict[tuple[str, str], list[SpanRecord]] = defaultdict(list)
    consumed: dict[tuple[str, str], list[SpanRecord]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for span in recent.spans:
        if not _of_workspace(span, workspace):
            continue
        if span.status == "ERROR":
            failures[function_of(span.service)] += 1
        if span.name == RELAY_SPAN:
            spec = by_name.get(str(span.attributes.get("herald.event_type", "")))
            if spec is not None and (producer := _producer(span, spec, recent.services)):
                produced[(producer, spec.name)].append(span)
        elif span.kind == "CONSUMER" and span.name.endswith(PROCESS_SUFFIX):
            spec = by_topic.get(str(span.attributes.get("messaging.destination.name", "")))
            consumer = str(span.attributes.get("herald.consumer", ""))
            if spec is not None and consumer in spec.consumers:
                consumed[(spec.name, consumer)].append(span)
    return WebCounts(
        produced={edge: edge_stats(spans) for edge, spans in produced.items()},
        consumed={edge: edge_stats(spans) for edge, spans in consumed.items()},
        failures=dict(failures),
        truncated=recent.truncated,
    )


def recent_failures(recent: RecentSpans, workspace: str, function: str) -> list[SpanRecord]:
    """The function's failed spans of the workspace's events, newest first."""
    failed = [
        span
        for span in recent.spans
        if span.status == "ERROR"
        and function_of(span.service) == function
        and _of_workspace(span, workspace)
    ]
    failed.sort(key=lambda span: span.start_ns, reverse=True)
    return failed[:MAX_FAILURES_SHOWN]


class EventWebFigures(Protocol):
    """Where the event web's last hour comes from: the spans locally (``SpanFigures``),
    Cloud Monitoring in production (``herald.console.cloud_monitoring``). The composition
    root picks one."""

    @property
    def source(self) -> str:
        """Where the figures come from, as the page names it: ``spans`` or ``monitoring``."""
        ...

    def counts(self, workspace: str, since_ms: int, until_ms: int) -> WebCounts:
        """Each edge's events, failures and p95 from ``since_ms`` to ``until_ms`` (now),
        the workspace's only."""
        ...


@dataclass(frozen=True)
class SpanFigures:
    """The figures counted from the spans the trace store keeps (the span files locally)."""

    traces: TraceStore
    source: str = "spans"

    def counts(self, workspace: str, since_ms: int, until_ms: int) -> WebCounts:
        # The span files end now.
        return count_web(self.traces.recent(since_ms * 1_000_000), workspace)
