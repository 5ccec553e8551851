"""Draw one trace as a span waterfall: plain text for the terminal, or a standalone HTML page."""

from __future__ import annotations

import html
import math
import zlib
from collections.abc import Sequence

from herald.observability.spanfile import SpanRecord
from herald.observability.spantree import (
    duration_ns,
    format_ms,
    is_orphan,
    order_tree,
    time_axis,
)

BLOCK = "█"
ERROR_MARK = "!"
ORPHAN_MARK = "(orphan)"
NO_SPANS = "No spans to draw."

_DURATION_WIDTH = 11
_MIN_BAR_WIDTH = 10


def render_text(spans: Sequence[SpanRecord], width: int = 100) -> str:
    """The waterfall as plain text, lines at most ``width`` (if 50 or more) characters wide."""
    if not spans:
        return NO_SPANS
    start, total = time_axis(spans)
    ordered = order_tree(spans)
    # Layout: mark(1) + space + label + space + bar + space + duration.
    wanted = max(len(_label(depth, span, 10_000)) for depth, span in ordered)
    label_width = max(12, min(wanted, (width - _DURATION_WIDTH - 4) // 2))
    bar_width = max(_MIN_BAR_WIDTH, width - label_width - _DURATION_WIDTH - 4)

    lines = [*_wrap(_header(spans, total), width), ""]
    scale_end = format_ms(total / 1e6)
    lines.append(
        f"{'':{label_width + 3}}{'0 ms':<{bar_width - len(scale_end)}}{scale_end}".rstrip()
    )
    for depth, span in ordered:
        mark = ERROR_MARK if span.status == "ERROR" else " "
        label = _label(depth, span, label_width)
        left, right = _bar_columns(span, start, total, bar_width)
        bar = " " * left + BLOCK * (right - left) + " " * (bar_width - right)
        duration = format_ms(duration_ns(span) / 1e6)
        lines.append(f"{mark} {label:<{label_width}} {bar} {duration:>{_DURATION_WIDTH}}")
    return "\n".join(lines)


def render_html(spans: Sequence[SpanRecord]) -> str:
    """The waterfall as a self-contained HTML page: inline CSS, no scripts, no external files."""
    if not spans:
        title = "Trace waterfall"
        body = f'<p class="empty">{html.escape(NO_SPANS)}</p>'
        return _PAGE.format(title=html.escape(title), css=_CSS, body=body)

    start, total = time_axis(spans)
    names = {span.span_id: span.name for span in spans}
    rows = []
    for depth, span in order_tree(spans):
        if total:
            left = (span.start_ns - start) / total * 100
            bar_width = duration_ns(span) / total * 100
        else:
            left, bar_width = 0.0, 0.0
        classes = ["span"]
        marks = ""
        if span.status == "ERROR":
            classes.append("error")
            marks += f'<span class="mark">{ERROR_MARK}</span> '
        orphan = ""
        if is_orphan(depth, span):
            classes.append("orphan")
            orphan = f' <span class="orphan-mark">{ORPHAN_MARK}</span>'
        hue = zlib.crc32(span.service.encode()) % 360
        rows.append(
            f'<tr class="{" ".join(classes)}" title="{html.escape(_tooltip(span, names))}">'
            f'<td class="name" style="padding-left:{0.4 + depth * 1.2:.1f}em">'
            f"{marks}{html.escape(span.name)}"
            f' <span class="service">{html.escape(span.service)}</span>{orphan}</td>'
            f'<td class="timeline"><div class="bar" style="left:{left:.3f}%;'
            f'width:{bar_width:.3f}%;background:hsl({hue},55%,50%)"></div></td>'
            f'<td class="duration">{html.escape(format_ms(duration_ns(span) / 1e6))}</td>'
            "</tr>"
        )
    header = html.escape(" · ".join(_header(spans, total)))
    body = (
        f"<h1>{header}</h1>\n<table>\n"
        '<thead><tr><th>span</th><th class="timeline">'
        f'<div class="scale"><span>0 ms</span><span>{html.escape(format_ms(total / 1e6))}</span>'
        "</div></th><th>duration</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )
    title = f"Trace {', '.join(_trace_ids(spans))}"
    return _PAGE.format(title=html.escape(title), css=_CSS, body=body)


def _trace_ids(spans: Sequence[SpanRecord]) -> list[str]:
    return sorted({span.trace_id for span in spans})


def _header(spans: Sequence[SpanRecord], total_ns: int) -> list[str]:
    count = len(spans)
    parts = [
        f"trace {', '.join(_trace_ids(spans))}",
        format_ms(total_ns / 1e6),
        f"{count} span{'' if count == 1 else 's'}",
    ]
    errors = sum(span.status == "ERROR" for span in spans)
    if errors:
        parts.append(f"{errors} error{'' if errors == 1 else 's'}")
    return parts


def _wrap(parts: list[str], width: int) -> list[str]:
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += f" · {part}"
        else:
            lines.append(part)
    return lines


def _label(depth: int, span: SpanRecord, width: int) -> str:
    indent = "  " * depth
    orphan = f" {ORPHAN_MARK}" if is_orphan(depth, span) else ""
    # When space runs short, shorten the name first, then drop the service; keep the orphan mark.
    for suffix in (f" [{span.service}]{orphan}", orphan):
        room = width - len(indent) - len(suffix)
        if len(span.name) <= room:
            return f"{indent}{span.name}{suffix}"
        if room > 6:
            return f"{indent}{span.name[: room - 1]}…{suffix}"
    label = f"{indent}{span.name}{orphan}"
    return label if len(label) <= width else label[: width - 1] + "…"


def _bar_columns(span: SpanRecord, start: int, total: int, width: int) -> tuple[int, int]:
    if not total:
        return 0, 1
    left = min(width - 1, math.floor((span.start_ns - start) / total * width))
    right = math.ceil((span.start_ns - start + duration_ns(span)) / total * width)
    # Every span gets at least one block so zero-duration spans stay visible.
    return left, min(width, max(left + 1, right))


def _tooltip(span: SpanRecord, names: dict[str, str]) -> str:
    parent = f" ← parent {span.parent_span_id}" if span.parent_span_id else ""
    lines = [f"{span.kind} · {span.status} · {span.service}", f"span {span.span_id}{parent}"]
    for link in span.links:
        target = names.get(link.span_id, "outside this view")
        lines.append(f"link → {link.span_id} ({target}) in trace {link.trace_id}")
    lines.extend(f"{key} = {value}" for key, value in sorted(span.attributes.items()))
    return "\n".join(lines)


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.1em; font-weight: 600; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { padding: 0.2em 0.4em; border-bottom: 1px solid #eee; white-space: nowrap; }
th { text-align: left; font-weight: 500; color: #666; }
th:first-child, td.name { width: 35%; overflow: hidden; text-overflow: ellipsis; }
th:last-child, td.duration { width: 7em; text-align: right; font-variant-numeric: tabular-nums; }
.scale { display: flex; justify-content: space-between; }
td.timeline { position: relative; }
.bar { position: absolute; top: 25%; height: 50%; min-width: 2px; border-radius: 2px; }
.service { color: #888; font-size: 0.9em; }
tr.span:hover { background: #f5f7fa; }
tr.error .bar { outline: 2px solid #c62828; }
tr.error td.name, .mark { color: #c62828; font-weight: 600; }
.orphan-mark { color: #b26a00; font-style: italic; }
.empty { color: #666; }
""".strip()

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
{body}
</body>
</html>
"""
