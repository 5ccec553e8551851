"""What Cloud Run and Pub/Sub do not report, as OpenTelemetry metrics.

Cloud Run already counts each function's requests and latencies and Pub/Sub its
dead letters; Herald adds outcomes by status and reason, delivery retries,
provider latency and errors, and sends per workspace. Exported to Cloud
Monitoring (as ``workload.googleapis.com/herald/<name>``) when
``HERALD_METRICS_EXPORTER`` is ``gcp`` (the default on Cloud Run), over OTLP
when it is ``otlp``, nowhere when ``none``. The reader exports every minute
(``HERALD_METRICS_EXPORT_INTERVAL_S``): Cloud Monitoring takes one point per
series every 5 seconds at most, so points are not flushed per invocation.
"""

from __future__ import annotations

import atexit
import os

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader

from herald.config import TelemetrySettings
from herald.observability import google_cloud

METRIC_PREFIX = "workload.googleapis.com/herald"

_meter = metrics.get_meter("herald")
_outcomes = _meter.create_counter(
    "messages.outcomes", unit="{message}", description="Messages reaching an end state"
)
_retries = _meter.create_counter(
    "delivery.retries", unit="{try}", description="Provider calls to be tried again"
)
_provider_latency = _meter.create_histogram(
    "provider.latency", unit="ms", description="Duration of provider calls"
)
_provider_errors = _meter.create_counter(
    "provider.errors", unit="{error}", description="Failed provider calls by kind"
)
_sends = _meter.create_counter("sends", unit="{message}", description="Messages accepted")
_feedback = _meter.create_counter(
    "feedback", unit="{report}", description="Receipts, engagement and complaints by outcome"
)
_callbacks_refused = _meter.create_counter(
    "callbacks.refused",
    unit="{request}",
    description="Provider callbacks refused: unsigned, badly signed, stale or replayed",
)
_quota_refused = _meter.create_counter(
    "quota.refused",
    unit="{request}",
    description="Requests refused over their workspace's quota (untraced, being a flood's)",
)
# The event web's edges, per workspace: a relay's publish of an event (``produced``, by the
# function that wrote it) and a consumer's handling of one (``consumed``), with their
# outcome; what the console's event web reads back from Cloud Monitoring.
EDGES_METRIC = "event_web.edges"
PRODUCED, CONSUMED = "produced", "consumed"
_edges = _meter.create_histogram(
    EDGES_METRIC,
    unit="ms",
    description="Events along the event web's edges: a relay's publish, a consumer's handling",
)
_configured = False


def exporter_kind() -> str:
    if configured := TelemetrySettings.from_env().metrics_exporter:
        return configured
    if os.environ.get("K_SERVICE"):
        return "gcp"
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return "otlp"
    return "none"


def export_interval_ms() -> float:
    """``HERALD_METRICS_EXPORT_INTERVAL_S``, no shorter than Cloud Monitoring takes."""
    return TelemetrySettings.from_env().metrics_export_interval_s * 1000


def _reader(kind: str) -> MetricReader | None:
    if kind == "gcp":
        from herald.observability import cloud_monitoring

        exporter = cloud_monitoring.exporter(METRIC_PREFIX)
        return PeriodicExportingMetricReader(exporter, export_interval_millis=export_interval_ms())
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return PeriodicExportingMetricReader(
            OTLPMetricExporter(), export_interval_millis=export_interval_ms()
        )
    if kind == "none":
        return None
    raise ValueError(f"HERALD_METRICS_EXPORTER={kind!r}: use gcp, otlp or none")


def configure(function: str) -> None:
    """Sets up this instance's meter provider once; safe to call on every invocation."""
    global _configured
    if _configured:
        return
    _configured = True
    kind = exporter_kind()
    reader = _reader(kind)
    if reader is None:
        return
    provider = MeterProvider(
        resource=google_cloud.service_resource(kind, f"herald-{function}"), metric_readers=[reader]
    )
    metrics.set_meter_provider(provider)
    atexit.register(provider.shutdown)  # the last points, when the instance stops


def flush(timeout_s: float) -> None:
    """Exports the points recorded since the last export: as the instance stops, when the
    exit handlers that would shut the provider down are not run."""
    provider = metrics.get_meter_provider()
    if isinstance(provider, MeterProvider):
        provider.force_flush(timeout_millis=int(timeout_s * 1000))


def record_send(workspace: str, messages: int) -> None:
    _sends.add(messages, {"workspace": workspace})


def record_edge(
    direction: str, function: str, event: str, workspace: str, failed: bool, duration_ms: float
) -> None:
    """An event along an edge of the event web: ``direction`` is ``produced`` (``function``
    the producer, empty when the event has more than one) or ``consumed``."""
    _edges.record(
        duration_ms,
        {
            "direction": direction,
            "function": function,
            "event": event,
            "workspace": workspace,
            "outcome": "error" if failed else "ok",
        },
    )


def record_outcome(status: str, reason: str | None, channel: str | None) -> None:
    _outcomes.add(1, {"status": status, "reason": reason or "", "channel": channel or ""})


def record_provider_call(provider: str, channel: str, outcome: str, duration_ms: float) -> None:
    """``outcome`` is SENT, DELIVERED, FAILED, UNKNOWN or RETRY."""
    _provider_latency.record(
        duration_ms, {"provider": provider, "channel": channel, "outcome": outcome}
    )
    if outcome in ("FAILED", "UNKNOWN", "RETRY"):
        _provider_errors.add(1, {"provider": provider, "channel": channel, "kind": outcome})
    if outcome == "RETRY":
        _retries.add(1, {"provider": provider, "channel": channel})


def record_feedback(source: str, kind: str, outcome: str) -> None:
    """``outcome`` is ``applied`` or ``ignored`` (late, or seen before)."""
    _feedback.add(1, {"source": source, "kind": kind, "outcome": outcome})


def record_callback_refused(provider: str, why: str) -> None:
    """``why`` is ``unsigned``, ``bad_signature``, ``stale`` or ``replayed``."""
    _callbacks_refused.add(1, {"provider": provider, "why": why})


def record_quota_refused(workspace: str) -> None:
    _quota_refused.add(1, {"workspace": workspace})
