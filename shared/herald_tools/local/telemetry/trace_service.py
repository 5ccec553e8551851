"""A stand-in of Cloud Trace API v2's ``TraceService``, as ``BatchWriteSpans`` answers.

It checks each request as the API documents it, answers ``INVALID_ARGUMENT``
naming every rule broken (writing nothing, as a refused request does), and
keeps the spans it accepts for the tests to read. ``CreateSpan`` is left out:
the exporter only batches.

Where each rule comes from: [proto] is the field comments of
google/devtools/cloudtrace/v2/trace.proto and tracing.proto (as shipped in
google-cloud-trace's ``trace_v2.types``); [quotas] is "Limits on spans" at
cloud.google.com/trace/docs/quotas.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.cloud.trace_v2.types import BatchWriteSpansRequest, Span
from google.protobuf import empty_pb2

SERVICE = "google.devtools.cloudtrace.v2.TraceService"

_PROJECT = re.compile(r"projects/([^/]+)")  # [proto] BatchWriteSpansRequest.name
# [proto] Span.name: 32 hex digits of trace id, 16 of span id, neither zero.
_SPAN_NAME = re.compile(r"projects/([^/]+)/traces/([0-9a-fA-F]{32})/spans/([0-9a-fA-F]{16})")
_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")
MAX_DISPLAY_NAME_BYTES = 128  # [proto] Span.display_name; [quotas] 128 bytes
MAX_SPAN_ATTRIBUTES = 32  # [proto] Span.attributes; [quotas] 32
MAX_KEY_BYTES = 128  # [proto] Attributes.attribute_map; [quotas] 128 bytes
MAX_STRING_BYTES = 256  # [proto] AttributeValue.string_value; [quotas] 256 bytes
MAX_LINKS = 128  # [proto] Span.links
MAX_LINK_ATTRIBUTES = 32  # [proto] Link.attributes
MAX_ANNOTATIONS = 32  # [proto] Span.time_events: 32 annotations
MAX_ANNOTATION_ATTRIBUTES = 4  # [proto] Annotation.attributes
MAX_DESCRIPTION_BYTES = 256  # [proto] Annotation.description

AttributeValue = str | int | bool


@dataclass(frozen=True)
class ExportedSpan:
    """One accepted span, as the Cloud console would show it."""

    project: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str  # the display name
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL
    start_ns: int
    end_ns: int
    attributes: dict[str, AttributeValue]
    links: tuple[tuple[str, str], ...]  # (trace id, span id)


def problems(request: BatchWriteSpansRequest) -> list[str]:
    """Every documented rule the request breaks, each naming its field."""
    pb = BatchWriteSpansRequest.pb(request)
    found: list[str] = []
    project = _PROJECT.fullmatch(pb.name)
    if project is None:
        found.append(f"name: {pb.name!r} is not projects/[PROJECT_ID]")
    if not pb.spans:
        found.append("spans: required")  # [proto] BatchWriteSpansRequest.spans
    for index, span in enumerate(pb.spans):
        expected = project.group(1) if project else None
        found += [f"spans[{index}].{p}" for p in _span_problems(span, expected)]
    return found


def _span_problems(span: Any, project: str | None) -> Iterator[str]:
    name = _SPAN_NAME.fullmatch(span.name)
    if name is None:
        yield f"name: {span.name!r} is not projects/[PROJECT_ID]/traces/[TRACE_ID]/spans/[SPAN_ID]"
    else:
        if project is not None and name.group(1) != project:
            yield f"name: project {name.group(1)!r} is not the request's {project!r}"
        if int(name.group(2), 16) == 0 or int(name.group(3), 16) == 0:
            yield "name: a trace or span id of zeros"
        if span.span_id != name.group(3):  # [proto] Span.span_id: the [SPAN_ID] of name
            yield f"span_id: {span.span_id!r} is not the [SPAN_ID] of name"
    if span.parent_span_id and not _SPAN_ID.fullmatch(span.parent_span_id):
        yield f"parent_span_id: {span.parent_span_id!r} is not 16 hex digits"  # [proto]
    display_name = span.display_name.value.encode()
    if not display_name:
        yield "display_name: required"  # [proto] Span.display_name is required
    elif len(display_name) > MAX_DISPLAY_NAME_BYTES:
        yield f"display_name: {len(display_name)} bytes, at most {MAX_DISPLAY_NAME_BYTES}"
    if not (span.HasField("start_time") and span.HasField("end_time")):
        yield "start_time, end_time: required"  # [proto]
    elif span.end_time.ToNanoseconds() < span.start_time.ToNanoseconds():
        # [proto] start_time and end_time are when the operation starts and ends.
        yield "end_time: before start_time"
    yield from _attribute_problems("attributes", span.attributes, MAX_SPAN_ATTRIBUTES)
    yield from _link_problems(span.links.link)
    annotations = [e.annotation for e in span.time_events.time_event if e.HasField("annotation")]
    if len(annotations) > MAX_ANNOTATIONS:
        yield f"time_events: {len(annotations)} annotations, at most {MAX_ANNOTATIONS}"
    for index, annotation in enumerate(annotations):
        description = len(annotation.description.value.encode())
        if description > MAX_DESCRIPTION_BYTES:
            yield (
                f"time_events.annotation[{index}].description: {description} bytes, "
                f"at most {MAX_DESCRIPTION_BYTES}"
            )
        yield from _attribute_problems(
            f"time_events.annotation[{index}].attributes",
            annotation.attributes,
            MAX_ANNOTATION_ATTRIBUTES,
        )


def _link_problems(links: Any) -> Iterator[str]:
    if len(links) > MAX_LINKS:
        yield f"links: {len(links)}, at most {MAX_LINKS}"
    for index, link in enumerate(links):
        if not _TRACE_ID.fullmatch(link.trace_id) or not _SPAN_ID.fullmatch(link.span_id):
            yield f"links[{index}]: trace_id and span_id must be 32 and 16 hex digits"
        yield from _attribute_problems(
            f"links[{index}].attributes", link.attributes, MAX_LINK_ATTRIBUTES
        )


def _attribute_problems(field: str, attributes: Any, limit: int) -> Iterator[str]:
    attribute_map: Mapping[str, Any] = attributes.attribute_map
    if len(attribute_map) > limit:
        yield f"{field}: {len(attribute_map)} attributes, at most {limit}"
    for key, value in attribute_map.items():
        if len(key.encode()) > MAX_KEY_BYTES:
            yield f"{field}[{key[:20]!r}…]: key of {len(key.encode())} bytes, at most {MAX_KEY_BYTES}"
        if value.WhichOneof("value") == "string_value":
            size = len(value.string_value.value.encode())
            if size > MAX_STRING_BYTES:
                yield f"{field}[{key!r}]: value of {size} bytes, at most {MAX_STRING_BYTES}"


def _exported(span: Any) -> ExportedSpan:
    name = _SPAN_NAME.fullmatch(span.name)
    assert name is not None
    attributes: dict[str, AttributeValue] = {}
    for key, value in span.attributes.attribute_map.items():
        kind = value.WhichOneof("value")
        attributes[key] = (
            value.string_value.value if kind == "string_value" else getattr(value, kind)
        )
    return ExportedSpan(
        project=name.group(1),
        trace_id=name.group(2).lower(),
        span_id=span.span_id.lower(),
        parent_span_id=span.parent_span_id.lower() or None,
        name=span.display_name.value,
        kind=Span.SpanKind(span.span_kind).name,
        start_ns=span.start_time.ToNanoseconds(),
        end_ns=span.end_time.ToNanoseconds(),
        attributes=attributes,
        links=tuple((link.trace_id.lower(), link.span_id.lower()) for link in span.links.link),
    )


class TraceStandIn:
    """Keeps accepted spans and the refusals it answered, for the tests to read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ExportedSpan] = []
        self._refusals: list[str] = []

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "BatchWriteSpans": grpc.unary_unary_rpc_method_handler(
                    self._batch_write_spans,
                    request_deserializer=BatchWriteSpansRequest.deserialize,
                    response_serializer=empty_pb2.Empty.SerializeToString,
                )
            },
        )

    def _batch_write_spans(
        self, request: BatchWriteSpansRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        found = problems(request)
        if found:
            with self._lock:
                self._refusals.append("; ".join(found))
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(found))
        spans = [_exported(span) for span in BatchWriteSpansRequest.pb(request).spans]
        with self._lock:
            self._spans += spans
        return empty_pb2.Empty()

    @property
    def spans(self) -> list[ExportedSpan]:
        with self._lock:
            return list(self._spans)

    @property
    def refusals(self) -> list[str]:
        with self._lock:
            return list(self._refusals)
