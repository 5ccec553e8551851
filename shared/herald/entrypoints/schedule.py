"""Scheduled work (Cloud Scheduler in the cloud, a timer in the local stack)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import trace

from herald.observability import logs, metrics, tracing

if TYPE_CHECKING:
    # Only for annotations: the function loads the service when it builds it.
    from herald.pipeline.sweeping import SweepReport, SweepService


def sweep(service: SweepService) -> SweepReport:
    tracing.configure("sweep")
    metrics.configure("sweep")
    with (
        tracing.invocation(),
        tracing.tracer().start_as_current_span("sweep", kind=trace.SpanKind.SERVER) as span,
    ):
        report = service.sweep()
        span.set_attribute("herald.republished", report.republished)
        span.set_attribute("herald.redriven", report.redriven)
        if report.republished or report.redriven:
            logs.warning("sweep found work", **vars(report))
        return report
