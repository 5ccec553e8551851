"""One send reaches Google Cloud as the console expects it: the local stack with Google's
own exporters (Cloud Trace, Cloud Monitoring) sending to local stand-ins of those APIs,
which check every request as the APIs document them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herald.domain.status import PIPELINE_END
from herald.events.registry import spec_for, subscription_filter
from herald.observability.metrics import METRIC_PREFIX
from herald.topology import FUNCTIONS
from herald_tools.cost import DELIVERED_EMAIL, published_per_email
from herald_tools.local.stack import Stack
from herald_tools.local.telemetry import TelemetryStandIns
from herald_tools.local.telemetry.metric_service import WrittenPoint
from herald_tools.local.telemetry.trace_service import ExportedSpan
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

# A sent message's events; every consumer of each one adds a "<topic> process" span, and
# the relay one "outbox relay" span for each that something consumes.
SENT_PATH = DELIVERED_EMAIL
RELAYED = published_per_email()
# Metrics arrive on the exporters' 5-second cycle, after the send has ended.
METRICS_DEADLINE_S = 60.0


@pytest.fixture(scope="module")
def telemetry() -> Iterator[TelemetryStandIns]:
    standins = TelemetryStandIns()
    standins.start()
    yield standins
    standins.stop()


@pytest.fixture(scope="module")
def gcp_stack(
    tmp_path_factory: pytest.TempPathFactory, telemetry: TelemetryStandIns
) -> Iterator[Stack]:
    """The whole local stack, every function exporting with Google's exporters."""
    running = Stack.with_fast_clocks(Path(tmp_path_factory.mktemp("herald-gcp")))
    for spec in FUNCTIONS:
        running.function_env[spec.name] = {
            **running.function_env.get(spec.name, {}),
            **telemetry.exporter_env(),
        }
    # The stack points this process's clients at its emulators: point them back after,
    # to the session's stack that later tests use.
    saved = {key: os.environ.get(key) for key in running.emulators.env()}
    running.start()
    yield running
    running.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def pushed_to(event: str) -> list[str]:
    """The consumers an event reaches in a workspace without webhook endpoints (the
    webhooks observer's subscriptions filter it out)."""
    return [c for c in spec_for(event).consumers if subscription_filter(c) is None]


def whole_trace(telemetry: TelemetryStandIns, message_id: str) -> list[ExportedSpan] | None:
    """The message's trace once every event was relayed, every consumer processed it and SMTP
    took it."""
    spans = telemetry.trace.spans
    trace_ids = {s.trace_id for s in spans if s.attributes.get("herald.message_id") == message_id}
    assert len(trace_ids) <= 1, trace_ids
    trace = [s for s in spans if s.trace_id in trace_ids]
    processed = [(s.name, s.attributes.get("service.name")) for s in trace]
    every_consumer = all(
        (f"{spec_for(event).topic} process", f"herald-{consumer}") in processed
        for event in SENT_PATH
        for consumer in pushed_to(event)
    )
    # message.sent has no consumer here, so nothing after its relay span shows it was exported.
    every_relay = processed.count(("outbox relay", "herald-relay")) >= RELAYED
    smtp_sent = ("smtp send", "herald-deliver") in processed
    return trace if every_consumer and every_relay and smtp_sent else None


def point_of(
    telemetry: TelemetryStandIns, metric: str, labels: dict[str, str]
) -> WrittenPoint | None:
    """The latest point of a series whose labels include ``labels``."""
    matching = [
        p
        for p in telemetry.monitoring.points
        if p.metric_type == f"{METRIC_PREFIX}/{metric}"
        and labels.items() <= p.metric_labels.items()
    ]
    return max(matching, key=lambda p: p.end_ns) if matching else None


def log_lines(stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each function's structured log lines, as Cloud Logging would read them from stdout."""
    for spec in FUNCTIONS:
        for line in (stack.log_dir / f"{spec.name}.log").read_text().splitlines():
            if line.startswith("{"):
                yield spec.name, json.loads(line)


def test_one_send_is_one_trace_with_its_metrics_and_logs_as_google_cloud_takes_them(
    gcp_stack: Stack, telemetry: TelemetryStandIns
) -> None:
    stack = gcp_stack
    api = Client(stack.base_url, stack.api_key)
    message_id = api.send({"to": {"email": "cloud@example.com"}, "content": {"body": "x"}})
    message = eventually(
        lambda: (m := api.get(f"/messages/{message_id}"))["status"] in PIPELINE_END and m,
        what="an end state",
    )
    assert message["status"] == "SENT"
    spans = eventually(lambda: whole_trace(telemetry, message_id), what="the whole trace")
    project = stack.emulators.project

    # One trace; every span's parent in it, but for the one root: the api's request.
    [trace_id] = {s.trace_id for s in spans}
    by_id = {s.span_id: s for s in spans}
    assert len(by_id) == len(spans)
    [root] = [s for s in spans if s.parent_span_id is None]
    assert all(s.parent_span_id in by_id for s in spans if s is not root)
    assert {s.project for s in spans} == {project}

    # What the console shows: names, kinds, the exporter's agent and the function's name.
    assert (root.name, root.kind, root.attributes["service.name"]) == (
        "POST /send",
        "SERVER",
        "herald-api",
    )
    assert root.attributes["/http/route"] == "/send"  # the exporter's label for http.route
    assert root.attributes["http.response.status_code"] == 202
    for span in spans:
        assert str(span.attributes["g.co/agent"]).startswith("opentelemetry-python ")
        assert "google-cloud-trace-exporter" in str(span.attributes["g.co/agent"])
        assert str(span.attributes["service.name"]).startswith("herald-")
    relays = [s for s in spans if s.name == "outbox relay"]
    assert len(relays) == RELAYED == 3  # enqueued, rendered, sent
    assert {(s.kind, s.attributes["service.name"]) for s in relays} == {
        ("CONSUMER", "herald-relay")
    }
    for event in SENT_PATH:
        topic = spec_for(event).topic
        for consumer in pushed_to(event):
            [processed] = [
                s
                for s in spans
                if s.name == f"{topic} process"
                and s.attributes["service.name"] == f"herald-{consumer}"
            ]
            assert processed.kind == "CONSUMER"
            assert processed.attributes["messaging.system"] == "gcp_pubsub"
            assert processed.attributes["herald.message_id"] == message_id
    [smtp] = [s for s in spans if s.name == "smtp send"]
    assert smtp.kind == "CLIENT" and by_id[smtp.parent_span_id or ""].kind == "CONSUMER"
    assert (smtp.attributes["herald.provider"], smtp.attributes["herald.outcome"]) == (
        "smtp",
        "SENT",
    )
    assert any(s.attributes.get("db.system.name") == "gcp.firestore" for s in spans)

    # Each handler's metrics, under descriptors it created, from a generic_task per instance.
    sends = {"workspace": stack.workspace}
    outcome = {"status": "SENT", "reason": "", "channel": "email"}
    latency = {"provider": "smtp", "channel": "email", "outcome": "SENT"}
    expected = {"sends": sends, "messages.outcomes": outcome, "provider.latency": latency}

    def written() -> dict[str, WrittenPoint] | None:
        found = {m: point_of(telemetry, m, labels) for m, labels in expected.items()}
        return {m: p for m, p in found.items() if p} if all(found.values()) else None

    points = eventually(written, timeout_s=METRICS_DEADLINE_S, what="the send's metrics")
    assert {m: (p.value, p.resource_labels["job"]) for m, p in points.items()} == {
        "sends": (1, "herald-api"),
        "messages.outcomes": (1, "herald-deliver"),
        "provider.latency": (1, "herald-deliver"),  # one call timed
    }
    for point in points.values():
        assert point.resource_type == "generic_task"
        assert point.resource_labels["location"] == "global" and point.resource_labels["task_id"]
    descriptors = {m: telemetry.monitoring.descriptors[f"{METRIC_PREFIX}/{m}"] for m in expected}
    assert {
        m: (d.created, d.metric_kind, d.value_type, set(d.labels)) for m, d in descriptors.items()
    } == {
        "sends": (True, "CUMULATIVE", "INT64", set(sends)),
        "messages.outcomes": (True, "CUMULATIVE", "INT64", set(outcome)),
        "provider.latency": (True, "CUMULATIVE", "DISTRIBUTION", set(latency)),
    }

    # The functions' log lines sit in that trace, each at a span Cloud Trace has.
    traced = [
        (function, line)
        for function, line in log_lines(stack)
        if line.get("logging.googleapis.com/trace") == f"projects/{project}/traces/{trace_id}"
    ]
    assert {function for function, _ in traced} >= {"relay", "render", "deliver"}
    for _, line in traced:
        assert line["logging.googleapis.com/spanId"] in by_id
        assert line["logging.googleapis.com/trace_sampled"] is True

    # Nothing Herald sent was refused.
    assert telemetry.trace.refusals == []
    assert telemetry.monitoring.refusals == []
