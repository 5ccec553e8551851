"""Reading the span files the local stack's functions write (``herald.observability.spanfile``)."""

from __future__ import annotations

from pathlib import Path

from herald.observability.spanfile import SpanRecord


def read_spans(directory: Path) -> list[SpanRecord]:
    spans = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                spans.append(SpanRecord.from_json(line))
    return spans
