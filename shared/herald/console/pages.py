"""The console's pages: server-rendered HTML, autoescaped; one script of Herald's own.

Each page is a Jinja2 template under ``templates/`` (``herald.markup``): every
value, the tenant's included, is escaped as it is written. Every answer carries
``SECURITY_HEADERS``: nothing but Herald's own page, its inline style and its one script
file (the message list's live updates, ``static/live.js``; no inline script) may load,
no framing, no caching. An email's HTML is shown only inside a frame that is
``sandbox``ed with no permission (no script, an opaque origin that cannot reach
the console's cookies) and, under the page's policy, loads nothing remote: viewing
a preview never registers an open.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from herald import markup
from herald.console import timing
from herald.console.event_stats import NO_EVENTS, EdgeStats, WebCounts
from herald.events.registry import EVENTS, EventSpec
from herald.observability.spanfile import SpanRecord
from herald.observability.spantree import duration_ns, format_ms, is_orphan, order_tree, time_axis

PACKAGE = "herald.console"

SECURITY_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
        "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


def when(epoch_ms: int | None) -> str:
    """A time as an operator reads it (UTC, to the millisecond), or a dash."""
    if epoch_ms is None:
        return "—"
    at = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S.") + f"{epoch_ms % 1000:03d} UTC"


def render(template: str, title: str, **values: Any) -> str:
    started = time.perf_counter_ns()
    page = markup.render(PACKAGE, template, title=title, when=when, **values)
    timing.rendered(time.perf_counter_ns() - started)
    return page


# --- the event web ------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    label: str
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    """A line of the picture and its last hour's figures, written beside its event's end."""

    x1: int
    y1: int
    x2: int
    y2: int
    source: str
    event: str
    target: str
    stats: EdgeStats | None  # None: not counted (history only, or no trace store)
    label_x: int
    label_y: int
    label_anchor: str  # "end" left of the event, "start" right of it

    @property
    def failed(self) -> bool:
        return self.stats is not None and self.stats.errors > 0


@dataclass(frozen=True)
class EventWeb:
    """The registry as a picture: producers on the left, events in the middle, consumers on
    the right, a line for each production and each consumption."""

    width: int
    height: int
    producers: list[Node]
    events: list[Node]
    consumers: list[Node]
    edges: list[Edge]

    @property
    def functions(self) -> list[str]:
        return sorted({n.label for n in self.producers} | {n.label for n in self.consumers})


ROW = 34
TOP = 40
BOX_HEIGHT = 24
COLUMNS = (20, 400, 880)  # the left edge of each column's boxes: room for the edges' figures
BOX_WIDTHS = (120, 220, 120)
LABEL_LINE = 11  # the figures of an event's edges on one side, one line each
LABEL_GAP = 6


def _label_ys(centre: int, count: int) -> list[int]:
    """Each of ``count`` lines of figures about ``centre``, one under the other."""
    return [round(centre + 4 + (i - (count - 1) / 2) * LABEL_LINE) for i in range(count)]


def event_web(events: Sequence[EventSpec] = EVENTS, counts: WebCounts | None = None) -> EventWeb:
    producers = sorted({p for spec in events for p in spec.producers})
    consumers = sorted({c for spec in events for c in spec.consumers})

    def column(names: Sequence[str], index: int) -> dict[str, Node]:
        # Each column centred on the tallest one.
        offset = (len(events) - len(names)) * ROW // 2
        return {
            name: Node(name, COLUMNS[index], TOP + offset + row * ROW)
            for row, name in enumerate(names)
        }

    def stats(
        edges: dict[tuple[str, str], EdgeStats] | None, key: tuple[str, str], spec: EventSpec
    ) -> EdgeStats | None:
        if edges is None or not spec.consumers:
            return None  # history only: never relayed, never counted
        return edges.get(key, NO_EVENTS)

    left = column(producers, 0)
    middle = column([spec.name for spec in events], 1)
    right = column(consumers, 2)
    half = BOX_HEIGHT // 2
    edges: list[Edge] = []
    for spec in events:
        event = middle[spec.name]
        ys = _label_ys(event.y + half, len(spec.producers))
        for p, label_y in zip(spec.producers, ys, strict=True):
            edges.append(
                Edge(
                    left[p].x + BOX_WIDTHS[0],
                    left[p].y + half,
                    event.x,
                    event.y + half,
                    p,
                    spec.name,
                    spec.name,
                    stats(
                        counts.produced if counts and spec.name not in counts.uncredited else None,
                        (p, spec.name),
                        spec,
                    ),
                    event.x - LABEL_GAP,
                    label_y,
                    "end",
                )
            )
    for spec in events:
        event = middle[spec.name]
        ys = _label_ys(event.y + half, len(spec.consumers))
        for c, label_y in zip(spec.consumers, ys, strict=True):
            edges.append(
                Edge(
                    event.x + BOX_WIDTHS[1],
                    event.y + half,
                    right[c].x,
                    right[c].y + half,
                    spec.name,
                    spec.name,
                    c,
                    stats(counts.consumed if counts else None, (spec.name, c), spec),
                    event.x + BOX_WIDTHS[1] + LABEL_GAP,
                    label_y,
                    "start",
                )
            )
    return EventWeb(
        width=COLUMNS[2] + BOX_WIDTHS[2] + 20,
        height=TOP + len(events) * ROW + 10,
        producers=list(left.values()),
        events=list(middle.values()),
        consumers=list(right.values()),
        edges=edges,
    )


def event_web_page(
    workspace: str,
    csrf: str,
    counts: WebCounts | None,
    since_ms: int,
    cloud_project: str,
    source: str = "spans",
    unavailable: str = "",
) -> str:
    """``source`` says where the figures come from (``spans``, ``monitoring``, or "" where
    nothing is read); ``unavailable`` why they could not be read."""
    return render(
        "events.html",
        "Event web",
        workspace=workspace,
        csrf=csrf,
        web=event_web(counts=counts),
        counts=counts,
        since_ms=since_ms,
        format_ms=format_ms,
        cloud_project=cloud_project,
        source=source,
        unavailable=unavailable,
        events=EVENTS,
        columns=COLUMNS,
        widths=BOX_WIDTHS,
        box_height=BOX_HEIGHT,
    )


# --- a trace's waterfall -------------------------------------------------------------------


@dataclass(frozen=True)
class SpanBar:
    """One row of the waterfall: the span, indented by depth, and its bar on the time axis
    (in percent of the trace's duration)."""

    depth: int
    name: str
    service: str
    kind: str
    left_pct: float
    width_pct: float
    duration: str
    error: bool
    orphan: bool


@dataclass(frozen=True)
class Waterfall:
    trace_id: str
    total: str
    rows: list[SpanBar]
    truncated: bool  # more spans than are drawn


def waterfall(trace_id: str, spans: Sequence[SpanRecord], limit: int) -> Waterfall | None:
    """The trace's spans as rows of bars (``herald trace``'s tree and time axis)."""
    if not spans:
        return None
    start, total = time_axis(spans)
    rows = []
    for depth, span in order_tree(spans):
        left = (span.start_ns - start) / total * 100 if total else 0.0
        width = duration_ns(span) / total * 100 if total else 0.0
        rows.append(
            SpanBar(
                depth=depth,
                name=span.name,
                service=span.service,
                kind=span.kind,
                left_pct=round(left, 3),
                # At least a sliver: an instant is still seen.
                width_pct=round(max(width, 0.3), 3),
                duration=format_ms(duration_ns(span) / 1e6),
                error=span.status == "ERROR",
                orphan=is_orphan(depth, span),
            )
        )
    return Waterfall(trace_id, format_ms(total / 1e6), rows, len(spans) >= limit)


def cloud_trace_url(project: str, trace_id: str) -> str:
    return "https://console.cloud.google.com/traces/list?" + urlencode(
        {"project": project, "tid": trace_id}
    )


def cloud_logging_url(project: str, trace_id: str) -> str:
    """The message's log lines: every one carries its trace (``logging.googleapis.com/trace``)."""
    query = f'trace="projects/{project}/traces/{trace_id}"'
    return (
        "https://console.cloud.google.com/logs/query;"
        + urlencode({"query": query}, quote_via=quote)
        + "?"
        + urlencode({"project": project})
    )
