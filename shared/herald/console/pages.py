"""The console's pages: server-rendered HTML, autoescaped, with no script at all.

Each page is a Jinja2 template under ``templates/`` (``herald.markup``): every
value, the tenant's included, is escaped as it is written. Every answer carries
``SECURITY_HEADERS``: nothing but Herald's own page and its inline style may load,
no framing, no caching. An email's HTML is shown only inside a frame that is
``sandbox``ed with no permission (no script, an opaque origin that cannot reach
the console's cookies) and, under the page's policy, loads nothing remote: viewing
a preview never registers an open.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from herald import markup
from herald.events.registry import EVENTS, EventSpec

PACKAGE = "herald.console"

SECURITY_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
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
    return markup.render(PACKAGE, template, title=title, when=when, **values)


# --- the event web ------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    label: str
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


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


ROW = 34
TOP = 40
BOX_HEIGHT = 24
COLUMNS = (20, 300, 620)  # the left edge of each column's boxes
BOX_WIDTHS = (120, 220, 120)


def event_web(events: Sequence[EventSpec] = EVENTS) -> EventWeb:
    producers = sorted({p for spec in events for p in spec.producers})
    consumers = sorted({c for spec in events for c in spec.consumers})

    def column(names: Sequence[str], index: int) -> dict[str, Node]:
        # Each column centred on the tallest one.
        offset = (len(events) - len(names)) * ROW // 2
        return {
            name: Node(name, COLUMNS[index], TOP + offset + row * ROW)
            for row, name in enumerate(names)
        }

    left = column(producers, 0)
    middle = column([spec.name for spec in events], 1)
    right = column(consumers, 2)
    half = BOX_HEIGHT // 2
    edges = [
        Edge(
            left[p].x + BOX_WIDTHS[0],
            left[p].y + half,
            middle[spec.name].x,
            middle[spec.name].y + half,
        )
        for spec in events
        for p in spec.producers
    ] + [
        Edge(
            middle[spec.name].x + BOX_WIDTHS[1],
            middle[spec.name].y + half,
            right[c].x,
            right[c].y + half,
        )
        for spec in events
        for c in spec.consumers
    ]
    return EventWeb(
        width=COLUMNS[2] + BOX_WIDTHS[2] + 20,
        height=TOP + len(events) * ROW + 10,
        producers=list(left.values()),
        events=list(middle.values()),
        consumers=list(right.values()),
        edges=edges,
    )


def event_web_page(workspace: str, csrf: str) -> str:
    return render(
        "events.html",
        "Event web",
        workspace=workspace,
        csrf=csrf,
        web=event_web(),
        events=EVENTS,
        columns=COLUMNS,
        widths=BOX_WIDTHS,
        box_height=BOX_HEIGHT,
    )
