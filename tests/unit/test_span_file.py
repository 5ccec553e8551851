"""The span files: each finished span one JSON line, read back as it was written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from herald.observability.spanfile import JsonLinesSpanExporter, SpanRecord, read_spans, span_line


class Kept(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def finished_spans() -> list[ReadableSpan]:
    kept = Kept()
    provider = TracerProvider(resource=Resource.create({"service.name": "herald-api"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        "POST /send", kind=trace.SpanKind.SERVER, attributes={"url.path": "/send"}
    ) as root:
        root.set_attribute("http.response.status_code", 202)
        root.set_attribute("herald.tags", ("a", "b"))
        with tracer.start_as_current_span(
            "commit messages",
            kind=trace.SpanKind.CLIENT,
            links=[trace.Link(root.get_span_context())],
        ) as child:
            child.set_status(trace.StatusCode.ERROR)
    return kept.spans


def test_a_line_is_the_span_record_of_the_span() -> None:
    for span in finished_spans():
        assert span_line(span) == SpanRecord.from_span(span).to_json()


def test_the_file_reads_back_each_span_as_written(tmp_path: Path) -> None:
    spans = finished_spans()
    exporter = JsonLinesSpanExporter(tmp_path, "herald-api")
    exporter.export(spans[:1])
    exporter.export(spans[1:])
    exporter.shutdown()
    # (a tuple attribute reads back as a list, as JSON has it)
    assert [record.to_json() for record in read_spans(tmp_path)] == [span_line(s) for s in spans]
    assert [record.name for record in read_spans(tmp_path)] == ["commit messages", "POST /send"]
