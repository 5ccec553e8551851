"""Google Cloud's exporters as Herald builds them: the default clients in the cloud, the
local stand-ins when asked (never on Cloud Run), spans cut to the Trace API's documented
limits, and a monitored resource per instance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud.trace_v2.types import Span
from opentelemetry import trace
from opentelemetry.resourcedetector.gcp_resource_detector import _metadata
from opentelemetry.resourcedetector.gcp_resource_detector._mapping import get_monitored_resource
from opentelemetry.sdk import resources as sdk_resources
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from herald.deployment import LOCAL_STACK_MARKER
from herald.observability import cloud_monitoring, cloud_trace, google_cloud, metrics
from herald.observability.google_cloud import MONITORING_ENDPOINT, TRACE_ENDPOINT
from herald_tools.local.telemetry import TelemetryStandIns

HOUR_MS = 3_600_000


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch) -> Iterator[TelemetryStandIns]:
    running = TelemetryStandIns()
    running.start()
    monkeypatch.setenv(LOCAL_STACK_MARKER, "1")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "herald-test")
    monkeypatch.setenv(TRACE_ENDPOINT, running.endpoint)
    monkeypatch.setenv(MONITORING_ENDPOINT, running.endpoint)
    yield running
    running.stop()


@pytest.mark.parametrize("variable", [TRACE_ENDPOINT, MONITORING_ENDPOINT])
def test_the_stand_in_endpoints_are_refused_on_cloud_run(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "127.0.0.1:9999")
    monkeypatch.setenv("K_SERVICE", "herald-api")
    monkeypatch.delenv(LOCAL_STACK_MARKER, raising=False)
    with pytest.raises(ValueError, match=f"{variable} is for local stand-ins only"):
        google_cloud.local_endpoint(variable)
    monkeypatch.setenv(LOCAL_STACK_MARKER, "1")  # the marker alone does not make Cloud Run local
    with pytest.raises(ValueError, match=f"{variable} is for local stand-ins only"):
        google_cloud.local_endpoint(variable)
    monkeypatch.delenv("K_SERVICE")
    assert google_cloud.local_endpoint(variable) == "127.0.0.1:9999"


@pytest.mark.parametrize("endpoint", ["127.0.0.1", ":8080", "localhost:http", "host:0", "h:65536"])
def test_a_stand_in_endpoint_is_a_host_and_a_port(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRACE_ENDPOINT, endpoint)
    with pytest.raises(ValueError, match=f"{TRACE_ENDPOINT}=.*host:port"):
        google_cloud.local_endpoint(TRACE_ENDPOINT)


def test_without_endpoints_the_exporters_use_googles_default_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TRACE_ENDPOINT, raising=False)
    monkeypatch.delenv(MONITORING_ENDPOINT, raising=False)
    # The credentials Cloud Run's metadata server would give; creating a channel sends nothing.
    monkeypatch.setattr(
        "google.auth.default",
        lambda *_, **__: (AnonymousCredentials(), "the-project"),  # type: ignore[no-untyped-call]
    )
    spans = cloud_trace.exporter()
    assert spans.client._transport._host == "cloudtrace.googleapis.com:443"  # type: ignore[attr-defined]
    assert spans.project_id == "the-project"  # type: ignore[attr-defined]
    points = cloud_monitoring.exporter(metrics.METRIC_PREFIX)
    assert points.client._transport._host == "monitoring.googleapis.com:443"  # type: ignore[attr-defined]
    assert points.project_id == "the-project"  # type: ignore[attr-defined]


def finished_spans(build: Any, service: str = "herald-api") -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    build(provider.get_tracer("herald"))
    return list(memory.get_finished_spans())


def translated(spans: list[ReadableSpan]) -> list[Span]:
    exporter = cloud_trace.exporter()
    result: list[Span] = exporter._translate_to_cloud_trace(spans)  # type: ignore[attr-defined]
    return result


def test_spans_over_the_documented_limits_are_cut_to_them_and_accepted(
    standins: TelemetryStandIns,
) -> None:
    def oversized(tracer: trace.Tracer) -> None:
        many = {f"z{i:02}": i for i in range(40)}  # after url.path: the last are dropped
        link = trace.Link(
            trace.SpanContext(0x1 << 64, 0x2, is_remote=True), {f"l{i}": i for i in range(40)}
        )
        with tracer.start_as_current_span(
            "GET /" + "p" * 300, attributes=many, links=[link]
        ) as span:
            span.set_attribute("k" * 129, "dropped")
            span.set_attribute("url.path", "/" + "€" * 100)  # 301 bytes
            span.add_event("x" * 300, {f"e{i}": "v" * 300 for i in range(6)})

    spans = finished_spans(oversized)
    [span] = translated(spans)

    assert span.display_name.value == "GET /" + "p" * 123
    assert span.display_name.truncated_byte_count == 305 - 128
    attributes = span.attributes.attribute_map
    assert len(attributes) == 32 and {"g.co/agent", "service.name"} <= set(attributes)
    assert span.attributes.dropped_attributes_count == 44 - 32  # 40, url, key, agent, name
    assert "k" * 129 not in attributes
    path = attributes["url.path"].string_value
    assert path.value == "/" + "€" * 85 and path.truncated_byte_count == 301 - 256
    annotation = span.time_events.time_event[0].annotation
    assert len(annotation.description.value) == 256
    assert len(annotation.attributes.attribute_map) == 4
    assert all(
        len(v.string_value.value) == 256 for v in annotation.attributes.attribute_map.values()
    )
    assert len(span.links.link[0].attributes.attribute_map) == 32

    assert cloud_trace.exporter().export(spans).name == "SUCCESS"
    assert standins.trace.refusals == []
    assert len(standins.trace.spans) == 1


def test_spans_at_the_documented_limits_are_exported_whole(standins: TelemetryStandIns) -> None:
    name = "POST /" + "s" * 122  # 128 bytes
    value = "é" * 128  # 256 bytes

    def at_the_limits(tracer: trace.Tracer) -> None:
        attributes = {f"herald.a{i:02}": value for i in range(30)}  # + agent and service.name
        tracer.start_span(name, attributes=attributes).end()

    spans = finished_spans(at_the_limits)
    [span] = translated(spans)
    assert span.display_name.value == name and span.display_name.truncated_byte_count == 0
    assert len(span.attributes.attribute_map) == 32
    assert span.attributes.dropped_attributes_count == 0
    assert span.attributes.attribute_map["herald.a29"].string_value.value == value

    assert cloud_trace.exporter().export(spans).name == "SUCCESS"
    [kept] = standins.trace.spans
    assert kept.project == "herald-test"
    assert kept.attributes["service.name"] == "herald-api"
    assert str(kept.attributes["g.co/agent"]).startswith("opentelemetry-python ")


def test_locally_the_metadata_server_is_never_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def asked() -> bool:
        raise AssertionError("the metadata server was asked")

    monkeypatch.setattr(_metadata, "is_available", asked)
    monkeypatch.setattr(_metadata, "get_metadata", asked)
    monkeypatch.delenv("K_SERVICE", raising=False)
    monkeypatch.setenv(LOCAL_STACK_MARKER, "1")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    assert google_cloud.resource("herald-api").attributes["service.name"] == "herald-api"
    monkeypatch.delenv(LOCAL_STACK_MARKER)
    monkeypatch.setenv(TRACE_ENDPOINT, "127.0.0.1:9999")  # stand-ins named: not the cloud
    assert google_cloud.resource("herald-api").attributes["service.name"] == "herald-api"


def another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new instance starts with: no service.instance.id drawn yet."""
    monkeypatch.setattr(sdk_resources, "_service_instance_id", None)


def test_each_instance_is_a_generic_task_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCAL_STACK_MARKER, "1")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    first = get_monitored_resource(google_cloud.resource("herald-api"))
    another_process(monkeypatch)
    second = get_monitored_resource(google_cloud.resource("herald-api"))
    assert first is not None and second is not None
    assert first.type == second.type == "generic_task"
    assert first.labels["job"] == "herald-api" and first.labels["location"] == "global"
    assert first.labels["task_id"] != second.labels["task_id"]


def test_on_cloud_run_the_task_is_the_instance_cloud_run_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metadata = {
        "instance": {"id": "0069c7a9", "region": "projects/123/regions/europe-west1"},
        "project": {"projectId": "the-project"},
    }
    monkeypatch.setattr(_metadata, "is_available", lambda: True)
    monkeypatch.setattr(_metadata, "get_metadata", lambda: metadata)
    for variable, value in {
        "K_SERVICE": "herald-api",
        "K_REVISION": "herald-api-00007-xyz",
        "K_CONFIGURATION": "herald-api",
        "FUNCTION_TARGET": "handle",
    }.items():
        monkeypatch.setenv(variable, value)
    for variable in (LOCAL_STACK_MARKER, TRACE_ENDPOINT, MONITORING_ENDPOINT):
        monkeypatch.delenv(variable, raising=False)

    detected = google_cloud.resource("herald-api")
    assert detected.attributes["cloud.platform"] == "gcp_cloud_functions"
    assert detected.attributes["service.instance.id"] == "0069c7a9"
    monitored = get_monitored_resource(detected)
    assert monitored is not None and monitored.type == "generic_task"
    assert dict(monitored.labels) == {
        "location": "europe-west1",
        "namespace": "",
        "job": "herald-api",
        "task_id": "0069c7a9",
    }


def test_two_instances_of_a_function_write_series_of_their_own(
    standins: TelemetryStandIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    providers = []
    for _ in range(2):
        another_process(monkeypatch)
        reader = PeriodicExportingMetricReader(
            cloud_monitoring.exporter(metrics.METRIC_PREFIX), export_interval_millis=HOUR_MS
        )
        providers.append(
            MeterProvider(resource=google_cloud.resource("herald-api"), metric_readers=[reader])
        )
    for provider in providers:
        provider.get_meter("herald").create_counter("sends").add(1, {"workspace": "w"})
    for provider in providers:
        assert provider.force_flush()
    assert standins.monitoring.refusals == []
    assert len({p.resource_labels["task_id"] for p in standins.monitoring.points}) == 2
    for provider in providers:
        provider.shutdown()


@pytest.mark.parametrize(
    ("configured", "interval_ms"), [(None, 60_000.0), ("5", 5_000.0), ("90.5", 90_500.0)]
)
def test_the_metrics_export_interval_is_a_setting(
    configured: str | None, interval_ms: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    if configured is None:
        monkeypatch.delenv("HERALD_METRICS_EXPORT_INTERVAL_S", raising=False)
    else:
        monkeypatch.setenv("HERALD_METRICS_EXPORT_INTERVAL_S", configured)
    assert metrics.export_interval_ms() == interval_ms


@pytest.mark.parametrize("configured", ["4.99", "0", "-5", "soon", "inf", "nan"])
def test_the_metrics_export_interval_is_no_shorter_than_cloud_monitoring_takes(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERALD_METRICS_EXPORT_INTERVAL_S", configured)
    with pytest.raises(ValueError, match=r"HERALD_METRICS_EXPORT_INTERVAL_S=.*at least 5"):
        metrics.export_interval_ms()
