"""One trace's spans as a tree on a time axis: the order and the geometry every waterfall
draws (``herald trace`` in the terminal and as a page, the console's message page)."""

from __future__ import annotations

from collections.abc import Sequence

from herald.observability.spanfile import SpanRecord


def order_tree(spans: Sequence[SpanRecord]) -> list[tuple[int, SpanRecord]]:
    """Spans depth-first by parent link, siblings by start time, as (depth, span).

    A span whose parent is not in ``spans`` becomes a root at depth 0; see ``is_orphan``.
    """
    by_id = {span.span_id: span for span in spans}
    children: dict[str, list[SpanRecord]] = {}
    roots: list[SpanRecord] = []
    for span in spans:
        if span.parent_span_id is not None and span.parent_span_id in by_id:
            children.setdefault(span.parent_span_id, []).append(span)
        else:
            roots.append(span)

    ordered: list[tuple[int, SpanRecord]] = []
    seen: set[int] = set()

    def walk(root: SpanRecord) -> None:
        stack = [(0, root)]
        while stack:
            depth, span = stack.pop()
            # Identity, not span id: duplicate ids must still each be drawn once.
            if id(span) in seen:
                continue
            seen.add(id(span))
            ordered.append((depth, span))
            kids = sorted(children.get(span.span_id, []), key=start_key, reverse=True)
            stack.extend((depth + 1, kid) for kid in kids if id(kid) not in seen)

    for root in sorted(roots, key=start_key):
        walk(root)
    # Spans in a parent cycle are reachable from no root; draw them rather than lose them.
    distinct = len({id(span) for span in spans})
    while len(seen) < distinct:
        walk(min((s for s in spans if id(s) not in seen), key=start_key))
    return ordered


def is_orphan(depth: int, span: SpanRecord) -> bool:
    """Whether an ``order_tree`` entry is a root only because its parent is missing."""
    return depth == 0 and span.parent_span_id is not None


def start_key(span: SpanRecord) -> tuple[int, int]:
    return (span.start_ns, span.end_ns)


def duration_ns(span: SpanRecord) -> int:
    # Unfinished spans are exported with end 0; draw them as instants, not negative bars.
    return max(0, span.end_ns - span.start_ns)


def time_axis(spans: Sequence[SpanRecord]) -> tuple[int, int]:
    """The first start and the whole span of time, in nanoseconds."""
    start = min(span.start_ns for span in spans)
    end = max(span.start_ns + duration_ns(span) for span in spans)
    return start, end - start


def format_ms(ms: float) -> str:
    return f"{ms:.2f} ms" if ms < 1 else f"{ms:.1f} ms"
