"""Where Google Cloud's exporters send, and the resource they describe.

In the cloud the exporters use their default clients (TLS, the function's
credentials) and the resource detected from the metadata server. Locally,
``HERALD_CLOUD_TRACE_ENDPOINT`` and ``HERALD_CLOUD_MONITORING_ENDPOINT``
(``host:port``, plaintext gRPC) point the same exporters at stand-ins of the
APIs, and the metadata server, which does not exist here, is never asked: its
name lookup alone could hang.
"""

from __future__ import annotations

import os
import uuid

from opentelemetry.sdk.resources import Resource

from herald.deployment import is_local_stack

TRACE_ENDPOINT = "HERALD_CLOUD_TRACE_ENDPOINT"
MONITORING_ENDPOINT = "HERALD_CLOUD_MONITORING_ENDPOINT"
LOCAL_PROJECT = "herald-local"


def local_stack() -> bool:
    return is_local_stack(os.environ)


def on_cloud_run() -> bool:
    """Cloud Run (which runs gen2 functions) sets ``K_SERVICE``."""
    return bool(os.environ.get("K_SERVICE"))


def local_endpoint(variable: str) -> str | None:
    """The ``host:port`` of a local stand-in named by ``variable``, or None for Google's API.

    Refused on Cloud Run: plaintext, unauthenticated telemetry has no place there.
    """
    endpoint = os.environ.get(variable, "").strip()
    if not endpoint:
        return None
    if on_cloud_run():
        raise ValueError(f"{variable} is for local stand-ins only; unset it on Cloud Run")
    host, _, port = endpoint.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{variable}={endpoint!r}: expected host:port")
    return endpoint


def project() -> str:
    """The project the logs' trace fields name (Terraform sets it), and the stand-ins are told."""
    return os.environ.get("GOOGLE_CLOUD_PROJECT", LOCAL_PROJECT)


def service_resource(exporter_kind: str, service: str) -> Resource:
    """The resource of a function's telemetry: with Google Cloud's attributes when sent there."""
    if exporter_kind != "gcp":
        return Resource.create({"service.name": service})
    return resource(service)


def resource(service: str) -> Resource:
    """``service.name``, what the metadata server tells about this instance, and its id.

    Cloud Monitoring keys a time series by its metric labels and its monitored
    resource; the exporter maps this resource to ``generic_task``, whose
    ``task_id`` is ``service.instance.id``. Unique per instance, it keeps the
    instances of a function from writing the same series, which the API would
    refuse (points out of order, or closer than its sampling period). On Cloud
    Run it is the instance id that Cloud Run's own logs show.
    """
    base = Resource.create({"service.name": service})
    if local_stack() or os.environ.get(TRACE_ENDPOINT) or os.environ.get(MONITORING_ENDPOINT):
        detected = base
    else:
        from opentelemetry.resourcedetector.gcp_resource_detector import (
            GoogleCloudResourceDetector,
        )
        from opentelemetry.sdk.resources import get_aggregated_resources

        detected = get_aggregated_resources(
            [GoogleCloudResourceDetector(raise_on_error=False)], base
        )
    instance = detected.attributes.get("faas.instance") or detected.attributes.get(
        "service.instance.id"
    )
    return detected.merge(Resource({"service.instance.id": str(instance or uuid.uuid4().hex)}))
