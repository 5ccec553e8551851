"""Spans to Cloud Trace (API v2, ``BatchWriteSpans``), within the limits the API documents.

The exporter cuts spans to the Telemetry (OTLP) API's limits (1024-byte names,
64 KiB values, 1024 attributes). The Trace API documents smaller ones (the
field comments of google/devtools/cloudtrace/v2/trace.proto, and "Limits on
spans" at cloud.google.com/trace/docs/quotas): display names of 128 bytes, 32
attributes per span (32 per link, 4 per annotation), keys of 128 bytes, string
values and annotation descriptions of 256 bytes, 32 annotations. Spans are cut
to those here, the way ``TruncatableString`` describes (on a UTF-8 boundary,
the bytes removed counted), so that no request depends on the API being more
lenient than it says: a span too large would otherwise risk the whole batch.

Imported only when spans go to Cloud Trace (the exporter costs ~300 ms to load).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.cloud.trace_v2 import TraceServiceClient
from google.cloud.trace_v2.services.trace_service.transports import TraceServiceGrpcTransport
from google.cloud.trace_v2.types import AttributeValue, Span, TruncatableString
from opentelemetry.exporter.cloud_trace import CloudTraceSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter

from herald.observability.google_cloud import TRACE_ENDPOINT, local_endpoint, project

MAX_DISPLAY_NAME_BYTES = 128
MAX_SPAN_ATTRIBUTES = 32
MAX_LINK_ATTRIBUTES = 32
MAX_ANNOTATION_ATTRIBUTES = 4
MAX_ANNOTATIONS = 32
MAX_KEY_BYTES = 128
MAX_STRING_BYTES = 256  # attribute values and annotation descriptions
# Resource attributes copied onto every span: a Cloud Trace span has no resource,
# and the exporter labels Cloud Run's (a generic_task) with none of it.
SPAN_RESOURCE_ATTRIBUTES = r"^service\.name$"
# The exporter's own attributes: kept first when a span has too many.
_EXPORTER_ATTRIBUTES = ("g.co/agent", "service.name")


def exporter() -> SpanExporter:
    """Google's exporter with its default client, or a plaintext one to a local stand-in."""
    endpoint = local_endpoint(TRACE_ENDPOINT)
    if endpoint is None:
        return BoundedCloudTraceSpanExporter(resource_regex=SPAN_RESOURCE_ATTRIBUTES)  # type: ignore[no-untyped-call]
    channel = grpc.insecure_channel(endpoint)
    client = TraceServiceClient(transport=TraceServiceGrpcTransport(channel=channel))
    return BoundedCloudTraceSpanExporter(  # type: ignore[no-untyped-call]
        project_id=project(), client=client, resource_regex=SPAN_RESOURCE_ATTRIBUTES
    )


class BoundedCloudTraceSpanExporter(CloudTraceSpanExporter):
    """Google's exporter, each span cut to the documented limits after its translation."""

    def _translate_to_cloud_trace(self, spans: Sequence[ReadableSpan]) -> list[Span]:
        translated: list[Span] = super()._translate_to_cloud_trace(spans)
        for span in translated:
            bound(span)
        return translated


def bound(span: Span) -> None:
    """Cuts one translated span to the documented limits, counting what it drops."""
    span.display_name = _truncated(span.display_name, MAX_DISPLAY_NAME_BYTES)
    span.attributes = _bounded_attributes(span.attributes, MAX_SPAN_ATTRIBUTES)
    for link in span.links.link:
        link.attributes = _bounded_attributes(link.attributes, MAX_LINK_ATTRIBUTES)
    events = span.time_events
    annotations = [e for e in events.time_event if "annotation" in e]
    kept = annotations[:MAX_ANNOTATIONS]
    for event in kept:
        annotation = event.annotation
        annotation.description = _truncated(annotation.description, MAX_STRING_BYTES)
        annotation.attributes = _bounded_attributes(
            annotation.attributes, MAX_ANNOTATION_ATTRIBUTES
        )
    if len(kept) < len(annotations):
        others = [e for e in events.time_event if "annotation" not in e]
        events.time_event = [*kept, *others]
        events.dropped_annotations_count += len(annotations) - len(kept)


def _truncated(text: TruncatableString, limit: int) -> TruncatableString:
    encoded = text.value.encode()
    if len(encoded) <= limit:
        return text
    value = encoded[:limit].decode("utf-8", errors="ignore")
    removed = len(encoded) - len(value.encode())
    return TruncatableString(value=value, truncated_byte_count=text.truncated_byte_count + removed)


def _bounded_attributes(attributes: Span.Attributes, limit: int) -> Span.Attributes:
    dropped: int = attributes.dropped_attributes_count
    kept: dict[str, Any] = {}
    # The exporter's own first, then by key: which ones a long span loses is stable.
    for key in sorted(attributes.attribute_map, key=lambda k: (k not in _EXPORTER_ATTRIBUTES, k)):
        value: AttributeValue = attributes.attribute_map[key]
        if len(key.encode()) > MAX_KEY_BYTES or len(kept) == limit:
            dropped += 1
            continue
        if "string_value" in value:
            value = AttributeValue(string_value=_truncated(value.string_value, MAX_STRING_BYTES))
        kept[key] = value
    return Span.Attributes(attribute_map=kept, dropped_attributes_count=dropped)
