"""Tracing: one send is one trace, from the HTTPS request to the provider call.

The context crosses every hop the way each hop allows: the ``traceparent``
(or ``X-Cloud-Trace-Context``) header into the api; a ``traceparent`` stored on
the message and on each outbox record across Firestore and its trigger; the
``googclient_traceparent`` attribute that the Pub/Sub client writes, read back
by each push consumer.

Where spans go is chosen once per instance by ``HERALD_TRACE_EXPORTER``:
``gcp`` (Cloud Trace; the default on Cloud Run), ``otlp`` (the default when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set), ``file`` (JSON lines, what the local
stack uses and ``herald trace`` reads) or ``none``. Exporters are imported only
by the configuration that uses them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from herald.config import TelemetrySettings
from herald.observability import google_cloud

TRACER_NAME = "herald"
PUBSUB_PREFIX = "googclient_"
_PROPAGATOR = TraceContextTextMapPropagator()
_CLOUD_TRACE_HEADER = re.compile(r"^([0-9a-fA-F]{32})/(\d+)(?:;o=([01]))?")

_provider: TracerProvider | None = None


def exporter_kind() -> str:
    if configured := TelemetrySettings.from_env().trace_exporter:
        return configured
    if os.environ.get("K_SERVICE"):  # Cloud Run, which runs gen2 functions
        return "gcp"
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return "otlp"
    return "none"


def _processor(kind: str, service: str) -> SpanProcessor | None:
    if kind == "file":
        from herald.observability.spanfile import JsonLinesSpanExporter

        directory = TelemetrySettings.from_env().trace_dir
        return SimpleSpanProcessor(JsonLinesSpanExporter(directory, service))
    if kind == "gcp":
        from herald.observability import cloud_trace

        return BatchSpanProcessor(cloud_trace.exporter())
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return BatchSpanProcessor(OTLPSpanExporter())
    if kind == "none":
        return None
    raise ValueError(f"HERALD_TRACE_EXPORTER={kind!r}: use gcp, otlp, file or none")


def configure(function: str) -> None:
    """Sets up this instance's tracer provider once; safe to call on every invocation."""
    global _provider
    if _provider is not None:
        return
    kind = exporter_kind()
    service = f"herald-{function}"
    ratio = TelemetrySettings.from_env().trace_sample_ratio
    provider = TracerProvider(
        resource=google_cloud.service_resource(kind, service),
        sampler=ParentBased(TraceIdRatioBased(ratio)),
    )
    if (processor := _processor(kind, service)) is not None:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _provider = provider


def flush(timeout_s: float = 5.0) -> None:
    """Exports what is buffered: as the last invocation in flight ends (``invocation``),
    and as the instance stops."""
    if _provider is not None:
        _provider.force_flush(timeout_millis=int(timeout_s * 1000))


_in_flight = 0
_in_flight_lock = threading.Lock()


@contextmanager
def invocation() -> Iterator[None]:
    """One request or event handled by this instance, its spans exported by the time the
    instance has nothing left in flight.

    Cloud Run throttles an instance's CPU once no request is in flight, so what the batch
    processor holds is flushed before the last one returns. While others are still in
    flight the instance has CPU and the processor exports in its own thread: a flush per
    invocation would make every request wait for an export of its own.
    """
    global _in_flight
    with _in_flight_lock:
        _in_flight += 1
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight -= 1
            last = _in_flight == 0
        if last:
            flush()


# One tracer for the process: trace.get_tracer builds a new one on every call (measurable on
# the send path, which opens a few spans a request). A proxy follows the provider that
# configure() sets.
_TRACER = trace.ProxyTracer(TRACER_NAME)


def tracer() -> trace.Tracer:
    return _TRACER


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def trace_id_of(traceparent: str | None) -> str | None:
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 else None


def context_from_traceparent(traceparent: str | None) -> otel_context.Context:
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


def context_from_http(headers: Mapping[str, str]) -> otel_context.Context:
    """W3C ``traceparent`` first, else Google's ``X-Cloud-Trace-Context``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "traceparent" in lowered:
        return _PROPAGATOR.extract(lowered)
    if match := _CLOUD_TRACE_HEADER.match(lowered.get("x-cloud-trace-context", "")):
        trace_id, span_id, sampled = match.groups()
        flags = "00" if sampled == "0" else "01"
        return context_from_traceparent(f"00-{trace_id.lower()}-{int(span_id):016x}-{flags}")
    return otel_context.Context()


def context_from_pubsub(attributes: Mapping[str, str]) -> otel_context.Context:
    """The context the Pub/Sub client put in ``googclient_traceparent``."""
    carrier = {
        key.removeprefix(PUBSUB_PREFIX): value
        for key, value in attributes.items()
        if key.startswith(PUBSUB_PREFIX)
    }
    return _PROPAGATOR.extract(carrier)


def correlation(project: str) -> dict[str, object]:
    """Cloud Logging's fields tying a log line to the current span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "logging.googleapis.com/trace": f"projects/{project}/traces/{context.trace_id:032x}",
        "logging.googleapis.com/spanId": f"{context.span_id:016x}",
        "logging.googleapis.com/trace_sampled": context.trace_flags.sampled,
    }
