"""Metrics recorded by the services, log correlation fields, and trace header parsing."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from typing import Any, cast

import pytest
from google.events.cloud import firestore as fs
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)
from opentelemetry.sdk.trace import TracerProvider

from herald.entrypoints import outbox, pubsub
from herald.errors import PermanentProviderError, RetryableProviderError
from herald.events.envelope import EventEnvelope
from herald.observability import logs, tracing
from herald.pipeline.relaying import RelayService
from tests.unit.fakes import Pipeline

_READER = InMemoryMetricReader()


@pytest.fixture(scope="module")
def reader() -> Iterator[InMemoryMetricReader]:
    # The global meter provider can be set once per process: this module owns it.
    metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    yield _READER


def points(reader: InMemoryMetricReader, name: str) -> list[tuple[dict[str, Any], Any]]:
    data = reader.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        # Sums carry a value, histograms a count of recordings.
                        amount: float
                        if isinstance(point, HistogramDataPoint):
                            amount = point.count
                        elif isinstance(point, NumberDataPoint):
                            amount = point.value
                        else:
                            continue
                        found.append((dict(point.attributes or {}), amount))
    return found


def test_outcomes_sends_and_provider_calls_are_counted(reader: InMemoryMetricReader) -> None:
    p = Pipeline()
    p.sending.send(
        "metrics-ws",
        {
            "message": {
                "to": [{"email": "a@example.com"}, {"email": "b@example.com"}],
                "content": {"body": "x"},
            }
        },
    )
    p.drain()
    p.email.fail_with = PermanentProviderError("550", "fake-smtp")
    p.sending.send(
        "metrics-ws", {"message": {"to": {"email": "c@example.com"}, "content": {"body": "x"}}}
    )
    p.drain()

    assert ({"workspace": "metrics-ws"}, 3) in points(reader, "sends")
    outcomes = {(a["status"], a["reason"]): v for a, v in points(reader, "messages.outcomes")}
    assert outcomes[("SENT", "")] >= 2
    assert outcomes[("UNDELIVERABLE", "PROVIDER_ERROR")] >= 1
    latency = {a["outcome"]: count for a, count in points(reader, "provider.latency")}
    assert latency["SENT"] >= 2 and latency["FAILED"] >= 1
    errors = {a["kind"]: v for a, v in points(reader, "provider.errors")}
    assert errors["FAILED"] >= 1


def test_retries_are_counted(reader: InMemoryMetricReader) -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("421", "fake-smtp")
    p.email.fail_before_handoff = True
    p.sending.send(
        "metrics-ws", {"message": {"to": {"email": "r@example.com"}, "content": {"body": "x"}}}
    )
    p.drain()  # acked; the retry waits on the timer
    retries = dict((a["provider"], v) for a, v in points(reader, "delivery.retries"))
    assert retries["fake-smtp"] >= 1


def test_log_lines_carry_cloud_loggings_trace_fields() -> None:
    span = TracerProvider().get_tracer("t").start_span("work")
    out = io.StringIO()
    with trace.use_span(span, end_on_exit=True), redirect_stdout(out):
        logs.info("event handled", message_id="m1", workspace="ws", event_id="ws:m1:2")
    record = json.loads(out.getvalue())
    context = span.get_span_context()
    assert record["severity"] == "INFO"
    assert record["logging.googleapis.com/trace"].endswith(f"/traces/{context.trace_id:032x}")
    assert record["logging.googleapis.com/spanId"] == f"{context.span_id:016x}"
    assert record["logging.googleapis.com/trace_sampled"] is True
    assert (record["message_id"], record["event_id"]) == ("m1", "ws:m1:2")


def test_addresses_are_masked() -> None:
    assert logs.mask("ada@example.com") == "a**@example.com"
    assert (
        logs.mask("https://user:pw@hooks.example.com/secret/path?t=1")
        == "https://hooks.example.com/…"
    )


def test_incoming_trace_headers_are_continued() -> None:
    w3c = tracing.context_from_http({"traceparent": f"00-{'a' * 32}-{'b' * 16}-01"})
    assert trace.get_current_span(w3c).get_span_context().trace_id == int("a" * 32, 16)
    cloud = tracing.context_from_http({"X-Cloud-Trace-Context": f"{'c' * 32}/123;o=1"})
    context = trace.get_current_span(cloud).get_span_context()
    assert (context.trace_id, context.span_id) == (int("c" * 32, 16), 123)
    pubsub = tracing.context_from_pubsub({"googclient_traceparent": f"00-{'d' * 32}-{'e' * 16}-01"})
    assert trace.get_current_span(pubsub).get_span_context().span_id == int("e" * 16, 16)
    assert not trace.get_current_span(tracing.context_from_http({})).get_span_context().is_valid


def test_refused_callbacks_and_applied_feedback_are_counted(reader: InMemoryMetricReader) -> None:
    from tests.unit.test_api_callbacks import event, make_api, sendgrid_post, sent_message

    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": "ada@example.com"})
    assert sendgrid_post(api, [event(mid, "delivered", "ev-1")], signature="AAAA").status == 403
    assert sendgrid_post(api, [event(mid, "delivered", "ev-1")]).status == 200
    late = [event(mid, "bounce", "ev-2", type="bounce")]  # the message was delivered: ignored
    stamp = str(int(time.time()))
    assert sendgrid_post(api, late, timestamp=stamp).status == 200
    assert sendgrid_post(api, late, timestamp=stamp).status == 403  # the same request again
    refused = {(a["provider"], a["why"]): v for a, v in points(reader, "callbacks.refused")}
    assert refused[("sendgrid", "bad_signature")] >= 1
    assert refused[("sendgrid", "replayed")] >= 1
    feedback = {(a["source"], a["kind"], a["outcome"]): v for a, v in points(reader, "feedback")}
    assert feedback[("sendgrid", "delivered", "applied")] >= 1
    assert feedback[("sendgrid", "bounced", "ignored")] >= 1


def test_requests_refused_over_a_quota_are_counted_by_workspace(
    reader: InMemoryMetricReader,
) -> None:
    from tests.unit.fakes import settings_with
    from tests.unit.test_api import SEND, call, make_api

    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=1))
    before = {a["workspace"]: v for a, v in points(reader, "quota.refused")}.get("ws1", 0)
    assert [call(api, "POST", "/send", SEND).status for _ in range(3)] == [202, 429, 429]
    refused = {a["workspace"]: v for a, v in points(reader, "quota.refused")}
    assert refused["ws1"] - before == 2


def _push(workspace: str, event_type: str = "message.enqueued") -> dict[str, Any]:
    envelope = EventEnvelope(
        id=f"{workspace}:m1:1",
        type=event_type,
        version=1,
        workspace=workspace,
        message_id="m1",
        request_id="m1",
        seq=1,
        occurred_ms=1,
        payload={},
    )
    return {
        "message": {
            "data": base64.b64encode(envelope.model_dump_json().encode()).decode(),
            "attributes": envelope.attributes(),
        }
    }


def _outbox_write(workspace: str, event_type: str) -> bytes:
    document = fs.Document(
        name=f"projects/p/databases/(default)/documents/workspaces/{workspace}/messages/m/events/1",
        fields={
            "type": fs.Value(string_value=event_type),
            "workspace": fs.Value(string_value=workspace),
        },
    )
    return bytes(fs.DocumentEventData.serialize(fs.DocumentEventData(value=document)))


class _Relay:
    def __init__(self, published: bool, fails: bool = False) -> None:
        self.published, self.fails = published, fails

    def handle_write(self, before: object, after: object) -> bool:
        if self.fails:
            raise RuntimeError("publish failed")
        return self.published


def _relay(published: bool, fails: bool = False) -> RelayService:
    """The relay's service, answering as told."""
    return cast(RelayService, _Relay(published, fails))


def test_the_event_webs_edges_are_recorded_per_workspace_with_their_outcome(
    reader: InMemoryMetricReader,
) -> None:
    def handled(envelope: EventEnvelope) -> None:
        pass

    def failing(envelope: EventEnvelope) -> None:
        raise RuntimeError("handler failed")

    for _ in range(2):
        pubsub.consume(_push("edges-ws"), "render", handled)
    with pytest.raises(RuntimeError):
        pubsub.consume(_push("edges-ws"), "render", failing)
    outbox.relay(_relay(published=True), _outbox_write("edges-ws", "message.enqueued"), None)
    outbox.relay(_relay(published=False), _outbox_write("edges-ws", "message.enqueued"), None)
    with pytest.raises(RuntimeError):
        outbox.relay(_relay(True, fails=True), _outbox_write("edges-ws", "message.delivered"), None)
    recorded = {
        (a["direction"], a["function"], a["event"], a["outcome"]): count
        for a, count in points(reader, "event_web.edges")
        if a["workspace"] == "edges-ws"
    }
    assert recorded == {
        ("consumed", "render", "message.enqueued", "ok"): 2,
        ("consumed", "render", "message.enqueued", "error"): 1,
        # A write that published nothing is no production.
        ("produced", "api", "message.enqueued", "ok"): 1,
        # Two producers: the relay cannot tell which wrote it.
        ("produced", "", "message.delivered", "error"): 1,
    }
