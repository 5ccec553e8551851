"""The Cloud Trace and Cloud Monitoring stand-ins, served on one local gRPC port."""

from __future__ import annotations

from concurrent import futures

import grpc

from herald.config import MIN_EXPORT_INTERVAL_S
from herald.observability.google_cloud import MONITORING_ENDPOINT, TRACE_ENDPOINT
from herald_tools.local.telemetry.metric_service import MonitoringStandIn
from herald_tools.local.telemetry.trace_service import TraceStandIn


class TelemetryStandIns:
    """Start, point the functions' exporters at ``exporter_env()``, read, stop."""

    def __init__(self, port: int = 0) -> None:
        self.trace = TraceStandIn()
        self.monitoring = MonitoringStandIn()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers((self.trace.handler(), self.monitoring.handler()))
        self.port = self._server.add_insecure_port(f"127.0.0.1:{port}")

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def exporter_env(self) -> dict[str, str]:
        """Google Cloud's exporters, sending here; metrics as often as the API allows."""
        return {
            "HERALD_TRACE_EXPORTER": "gcp",
            "HERALD_METRICS_EXPORTER": "gcp",
            TRACE_ENDPOINT: self.endpoint,
            MONITORING_ENDPOINT: self.endpoint,
            "HERALD_METRICS_EXPORT_INTERVAL_S": f"{MIN_EXPORT_INTERVAL_S:g}",
        }

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)
