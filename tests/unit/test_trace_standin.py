"""The Cloud Trace stand-in answers a request breaking each documented rule with
INVALID_ARGUMENT naming the field, accepts one at each limit, and keeps what it accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.api_core.exceptions import InvalidArgument
from google.cloud.trace_v2 import TraceServiceClient
from google.cloud.trace_v2.services.trace_service.transports import TraceServiceGrpcTransport
from google.cloud.trace_v2.types import BatchWriteSpansRequest

from herald_tools.local.telemetry import TelemetryStandIns

PROJECT = "herald-local"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
PARENT = "53995c3f42cd8ad8"


@pytest.fixture
def standins() -> Iterator[TelemetryStandIns]:
    running = TelemetryStandIns()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def client(standins: TelemetryStandIns) -> TraceServiceClient:
    channel = grpc.insecure_channel(standins.endpoint)
    return TraceServiceClient(transport=TraceServiceGrpcTransport(channel=channel))


def request(change: Callable[[Any], None] = lambda _: None) -> BatchWriteSpansRequest:
    """A valid request of one span, then ``change`` applied to its protobuf."""
    pb = BatchWriteSpansRequest.pb(BatchWriteSpansRequest())
    pb.name = f"projects/{PROJECT}"
    span = pb.spans.add()
    span.name = f"projects/{PROJECT}/traces/{TRACE}/spans/{SPAN}"
    span.span_id = SPAN
    span.parent_span_id = PARENT
    span.display_name.value = "POST /send"
    span.start_time.FromNanoseconds(1_000)
    span.end_time.FromNanoseconds(2_000)
    span.span_kind = 2  # SERVER
    span.attributes.attribute_map["herald.workspace"].string_value.value = "local"
    span.attributes.attribute_map["http.response.status_code"].int_value = 202
    change(pb)
    wrapped: BatchWriteSpansRequest = BatchWriteSpansRequest.wrap(pb)
    return wrapped


def attributes(count: int, key: Callable[[int], str] = lambda i: f"k{i}") -> Callable[[Any], None]:
    def change(attribute_map: Any) -> None:
        attribute_map.clear()
        for i in range(count):
            attribute_map[key(i)].int_value = i

    return change


def span(pb: Any) -> Any:
    return pb.spans[0]


def _annotations(pb: Any, count: int) -> None:
    for _ in range(count):
        span(pb).time_events.time_event.add().annotation.description.value = "exception"


def _links(pb: Any, count: int, attribute_count: int = 0) -> None:
    for _ in range(count):
        link = span(pb).links.link.add(trace_id=TRACE, span_id=PARENT)
        attributes(attribute_count)(link.attributes.attribute_map)


def _unset(field: str) -> Callable[[Any], None]:
    return lambda pb: span(pb).ClearField(field)


BROKEN: dict[str, tuple[Callable[[Any], None], str]] = {
    "request name": (lambda pb: setattr(pb, "name", "herald-local"), "name:"),
    "no spans": (lambda pb: pb.ClearField("spans"), "spans: required"),
    "span name": (lambda pb: setattr(span(pb), "name", f"projects/{PROJECT}/traces/{TRACE[:-1]}/spans/{SPAN}"), "spans[0].name:"),
    "span of another project": (lambda pb: setattr(span(pb), "name", f"projects/other-project/traces/{TRACE}/spans/{SPAN}"), "is not the request's"),
    "zero trace id": (lambda pb: setattr(span(pb), "name", f"projects/{PROJECT}/traces/{'0' * 32}/spans/{SPAN}"), "zeros"),
    "span_id not the name's": (lambda pb: setattr(span(pb), "span_id", PARENT), "spans[0].span_id"),
    "parent_span_id": (lambda pb: setattr(span(pb), "parent_span_id", "xyz"), "spans[0].parent_span_id"),
    "no display name": (_unset("display_name"), "display_name: required"),
    "display name of 129 bytes": (lambda pb: setattr(span(pb).display_name, "value", "x" * 129), "display_name: 129 bytes"),
    "display name of 43 three-byte characters": (lambda pb: setattr(span(pb).display_name, "value", "€" * 43), "display_name: 129 bytes"),
    "no start time": (_unset("start_time"), "start_time, end_time: required"),
    "no end time": (_unset("end_time"), "start_time, end_time: required"),
    "ends before it starts": (lambda pb: span(pb).end_time.FromNanoseconds(999), "end_time: before start_time"),
    "33 attributes": (lambda pb: attributes(33)(span(pb).attributes.attribute_map), "33 attributes, at most 32"),
    "key of 129 bytes": (lambda pb: attributes(1, lambda _: "k" * 129)(span(pb).attributes.attribute_map), "key of 129 bytes"),
    "value of 257 bytes": (lambda pb: setattr(span(pb).attributes.attribute_map["v"].string_value, "value", "v" * 257), "value of 257 bytes"),
    "129 links": (lambda pb: _links(pb, 129), "links: 129"),
    "link ids": (lambda pb: span(pb).links.link.add(trace_id="nope", span_id=PARENT), "links[0]: trace_id"),
    "33 attributes on a link": (lambda pb: _links(pb, 1, 33), "links[0].attributes: 33 attributes"),
    "33 annotations": (lambda pb: _annotations(pb, 33), "33 annotations"),
    "annotation description of 257 bytes": (lambda pb: setattr(span(pb).time_events.time_event.add().annotation.description, "value", "d" * 257), "description: 257 bytes"),
    "5 attributes on an annotation": (lambda pb: attributes(5)(span(pb).time_events.time_event.add().annotation.attributes.attribute_map), "annotation[0].attributes: 5 attributes, at most 4"),
}  # fmt: skip


@pytest.mark.parametrize("rule", BROKEN)
def test_a_request_breaking_a_rule_is_answered_invalid_argument(
    rule: str, client: TraceServiceClient, standins: TelemetryStandIns
) -> None:
    change, expected = BROKEN[rule]
    with pytest.raises(InvalidArgument) as refused:
        client.batch_write_spans(request=request(change))
    assert expected in refused.value.message
    assert standins.trace.spans == []
    assert len(standins.trace.refusals) == 1


AT_THE_LIMIT: dict[str, Callable[[Any], None]] = {
    "display name of 128 bytes": lambda pb: setattr(span(pb).display_name, "value", "€" * 42 + "xx"),
    "32 attributes": lambda pb: attributes(32)(span(pb).attributes.attribute_map),
    "key of 128 bytes": lambda pb: attributes(1, lambda _: "k" * 128)(span(pb).attributes.attribute_map),
    "value of 256 bytes": lambda pb: setattr(span(pb).attributes.attribute_map["v"].string_value, "value", "é" * 128),
    "a root span": lambda pb: setattr(span(pb), "parent_span_id", ""),
    "no time between start and end": lambda pb: span(pb).end_time.FromNanoseconds(1_000),
    "128 links of 32 attributes": lambda pb: _links(pb, 128, 32),
    "32 annotations": lambda pb: _annotations(pb, 32),
    "an annotation of 4 attributes": lambda pb: attributes(4)(span(pb).time_events.time_event.add().annotation.attributes.attribute_map),
}  # fmt: skip


@pytest.mark.parametrize("limit", AT_THE_LIMIT)
def test_a_request_at_each_limit_is_accepted(
    limit: str, client: TraceServiceClient, standins: TelemetryStandIns
) -> None:
    client.batch_write_spans(request=request(AT_THE_LIMIT[limit]))
    assert len(standins.trace.spans) == 1
    assert standins.trace.refusals == []


def test_accepted_spans_are_kept_as_the_console_shows_them(
    client: TraceServiceClient, standins: TelemetryStandIns
) -> None:
    client.batch_write_spans(request=request())
    [kept] = standins.trace.spans
    assert (kept.project, kept.trace_id, kept.span_id, kept.parent_span_id) == (
        PROJECT,
        TRACE,
        SPAN,
        PARENT,
    )
    assert (kept.name, kept.kind, kept.start_ns, kept.end_ns) == (
        "POST /send",
        "SERVER",
        1_000,
        2_000,
    )
    assert kept.attributes == {"herald.workspace": "local", "http.response.status_code": 202}
