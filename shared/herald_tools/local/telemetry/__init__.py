"""Local stand-ins of Google Cloud's telemetry APIs, for the real exporters to send to."""

from herald_tools.local.telemetry.server import TelemetryStandIns

__all__ = ["TelemetryStandIns"]
