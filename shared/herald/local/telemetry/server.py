"""The Cloud Trace and Cloud Monitoring stand-ins, served on one local gRPC port."""

from __future__ import annotations

from concurrent import futures

import grpc

from herald.local.telemetry.metric_service import MonitoringStandIn
from herald.local.telemetry.trace_service import TraceStandIn


class TelemetryStandIns:
    """Start, point exporters at ``endpoint``, read what they sent, stop."""

    def __init__(self, port: int = 0) -> None:
        self.trace = TraceStandIn()
        self.monitoring = MonitoringStandIn()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers((self.trace.handler(), self.monitoring.handler()))
        self.port = self._server.add_insecure_port(f"127.0.0.1:{port}")

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)
