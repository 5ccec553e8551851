"""Metrics to Cloud Monitoring (API v3, ``CreateMetricDescriptor`` and ``CreateTimeSeries``).

Imported only when metrics go to Cloud Monitoring (the exporter costs ~300 ms to load).
"""

from __future__ import annotations

import grpc
from google.cloud.monitoring_v3 import MetricServiceClient
from google.cloud.monitoring_v3.services.metric_service.transports.grpc import (
    MetricServiceGrpcTransport,
)
from opentelemetry.exporter.cloud_monitoring import CloudMonitoringMetricsExporter
from opentelemetry.sdk.metrics.export import MetricExporter

from herald.observability.google_cloud import MONITORING_ENDPOINT, local_endpoint, project


def exporter(prefix: str) -> MetricExporter:
    """Google's exporter with its default client, or a plaintext one to a local stand-in."""
    endpoint = local_endpoint(MONITORING_ENDPOINT)
    if endpoint is None:
        return CloudMonitoringMetricsExporter(prefix=prefix)
    channel = grpc.insecure_channel(endpoint)
    client = MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    return CloudMonitoringMetricsExporter(project_id=project(), client=client, prefix=prefix)
