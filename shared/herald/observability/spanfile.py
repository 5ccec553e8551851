"""Spans as JSON lines: the exporter the local stack's functions write them with.

One file per process (``<service>-<pid>.jsonl``) under the trace directory, so
concurrent function processes never interleave partial lines. ``read_spans`` reads
them back (``herald trace``), and ``SpanFileTraces`` one trace of them (the console's
waterfall on the local stack) or the spans of a recent window (the console's event web).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol, TextIO

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


@dataclass(frozen=True)
class SpanLink:
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class SpanRecord:
    """One finished span. Ids are lowercase hex (32 digits for traces, 16 for spans)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL
    service: str  # the function (resource service.name), e.g. "herald-render"
    start_ns: int  # epoch nanoseconds
    end_ns: int
    status: str  # UNSET, OK, ERROR
    attributes: dict[str, Any] = field(default_factory=dict)
    links: list[SpanLink] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6

    def to_json(self) -> str:
        # By hand rather than dataclasses.asdict, whose deep copy costs more than the span.
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["links"] = [{"trace_id": k.trace_id, "span_id": k.span_id} for k in self.links]
        return json.dumps(record, separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, line: str) -> SpanRecord:
        raw = json.loads(line)
        raw["links"] = [SpanLink(**link) for link in raw.get("links", [])]
        return cls(**raw)

    @classmethod
    def from_span(cls, span: ReadableSpan) -> SpanRecord:
        context = span.get_span_context()
        assert context is not None
        parent = span.parent
        return cls(
            trace_id=f"{context.trace_id:032x}",
            span_id=f"{context.span_id:016x}",
            parent_span_id=f"{parent.span_id:016x}" if parent is not None else None,
            name=span.name,
            kind=span.kind.name,
            service=str(span.resource.attributes.get("service.name", "")),
            start_ns=span.start_time or 0,
            end_ns=span.end_time or 0,
            status=span.status.status_code.name,
            attributes=dict(span.attributes or {}),
            links=[
                SpanLink(f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}")
                for link in span.links
            ],
        )


# SpanRecord.to_json's encoding, made once (json.dumps makes an encoder per call when given
# options).
_LINE_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def span_line(span: ReadableSpan) -> str:
    """``SpanRecord.from_span(span).to_json()``, without the record between: the api
    writes a few spans on every request."""
    context = span.get_span_context()
    assert context is not None
    parent = span.parent
    return _LINE_ENCODER.encode(
        {
            "trace_id": f"{context.trace_id:032x}",
            "span_id": f"{context.span_id:016x}",
            "parent_span_id": f"{parent.span_id:016x}" if parent is not None else None,
            "name": span.name,
            "kind": span.kind.name,
            "service": str(span.resource.attributes.get("service.name", "")),
            "start_ns": span.start_time or 0,
            "end_ns": span.end_time or 0,
            "status": span.status.status_code.name,
            "attributes": dict(span.attributes or {}),
            "links": [
                {"trace_id": f"{k.context.trace_id:032x}", "span_id": f"{k.context.span_id:016x}"}
                for k in span.links
            ],
        }
    )


class JsonLinesSpanExporter(SpanExporter):
    def __init__(self, directory: Path, service: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.service = directory, service
        self.path = directory / f"{service}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()
        self._handle: TextIO | None = None
        self._pid = 0  # the process that opened ``_handle``

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(span_line(span) + "\n" for span in spans)
        with self._lock:
            # Opened once per process (a forked worker is a new process: a file of its own);
            # each export is written through at once, so readers never wait for a flush.
            if self._handle is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self.path = self.directory / f"{self.service}-{self._pid}.jsonl"
                self._handle = self.path.open("a")
            self._handle.write(lines)
            self._handle.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def read_spans(directory: Path) -> list[SpanRecord]:
    spans = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                spans.append(SpanRecord.from_json(line))
    return spans


# The most spans of one trace drawn: a send's trace has a few dozen; a list's fan-out
# may have thousands, and a page of them would be neither fast nor readable.
MAX_TRACE_SPANS = 300


# The most of each span file read for a recent window: a long-running local stack's files
# grow without end, and the newest part of each is what a window of the last hour needs.
MAX_RECENT_BYTES_PER_FILE = 8 * 1024 * 1024
# What marks a span the event web counts, before its line is parsed: a topic's consumer, a
# publish, the relay (a consumer of the outbox), or a failure.
_COUNTED = ('"kind":"CONSUMER"', '"kind":"PRODUCER"', '"status":"ERROR"')


def _text_field(line: str, name: str) -> str | None:
    """A string field of a span's line, found without parsing it (``to_json``'s keys)."""
    key = f'"{name}":"'
    start = line.find(key)
    if start < 0:
        return None
    start += len(key)
    end = line.find('"', start)
    return line[start:end] if end >= 0 else None


@dataclass(frozen=True)
class RecentSpans:
    """A window's spans that the event web counts (consumed, published, relayed or failed),
    the function of every span of the files read by its id (who wrote a relayed record is
    the function of the relay span's parent), and whether older spans were left unread."""

    spans: list[SpanRecord]
    services: dict[str, str]
    truncated: bool = False


class TraceStore(Protocol):
    def trace(self, trace_id: str, limit: int = MAX_TRACE_SPANS) -> list[SpanRecord]:
        """The trace's spans by start time, at most ``limit`` (the earliest)."""
        ...

    def recent(self, since_ns: int) -> RecentSpans:
        """The spans the event web counts that started at or after ``since_ns``."""
        ...


class SpanFileTraces:
    """One trace from the span files of a directory (the local stack's ``file`` exporter).

    A line is parsed only when it names the trace, so a long-running stack's files cost a
    substring search per line, not a JSON parse."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def trace(self, trace_id: str, limit: int = MAX_TRACE_SPANS) -> list[SpanRecord]:
        wanted = f'"trace_id":"{trace_id}"'
        spans = [
            SpanRecord.from_json(line)
            for path in sorted(self.directory.glob("*.jsonl"))
            for line in path.read_text().splitlines()
            if wanted in line
        ]
        spans.sort(key=lambda span: (span.start_ns, span.end_ns))
        return spans[:limit]

    def recent(self, since_ns: int) -> RecentSpans:
        """Only files written to since ``since_ns``, and of each its newest
        ``MAX_RECENT_BYTES_PER_FILE``; only the lines of counted spans are parsed."""
        spans: list[SpanRecord] = []
        services: dict[str, str] = {}
        truncated = False
        for path in sorted(self.directory.glob("*.jsonl")):
            size, modified_ns = (stat := path.stat()).st_size, stat.st_mtime_ns
            if modified_ns < since_ns:
                continue
            with path.open("rb") as handle:
                skipped = max(0, size - MAX_RECENT_BYTES_PER_FILE)
                handle.seek(skipped)
                lines = handle.read(MAX_RECENT_BYTES_PER_FILE).decode(errors="replace").split("\n")
            if skipped:
                truncated = True
                lines = lines[1:]  # begun before the part read
            for line in lines:
                span_id, service = _text_field(line, "span_id"), _text_field(line, "service")
                if span_id and service is not None:
                    services[span_id] = service
                if not any(mark in line for mark in _COUNTED):
                    continue
                try:
                    span = SpanRecord.from_json(line)
                except (ValueError, TypeError):
                    continue  # a line still being written
                if span.start_ns >= since_ns:
                    spans.append(span)
        return RecentSpans(spans, services, truncated)


class InMemoryTraces:
    """The unit tests' trace store: spans kept as they are given."""

    def __init__(self) -> None:
        self.spans: list[SpanRecord] = []

    def trace(self, trace_id: str, limit: int = MAX_TRACE_SPANS) -> list[SpanRecord]:
        found = sorted(
            (span for span in self.spans if span.trace_id == trace_id),
            key=lambda span: (span.start_ns, span.end_ns),
        )
        return found[:limit]

    def recent(self, since_ns: int) -> RecentSpans:
        return RecentSpans(
            [span for span in self.spans if span.start_ns >= since_ns],
            {span.span_id: span.service for span in self.spans},
        )
