"""A stand-in of Cloud Monitoring API v3's ``MetricService``, as the exporter calls it.

``CreateMetricDescriptor`` and ``CreateTimeSeries`` check each request as the
API documents it and answer ``INVALID_ARGUMENT`` naming the rule broken; the
stand-in keeps the descriptors and points it accepts for the tests to read.
``CreateTimeSeries`` writes the valid series of a request and names the others,
as the API does. A series whose user-defined metric has no descriptor gets
one, made from the series, as the API auto-creates them. ``GetMetricDescriptor``
is left out: the exporter creates descriptors and never reads them.

Where each rule comes from: [proto] is the field comments of
google/api/metric.proto, google/api/distribution.proto,
google/api/monitored_resource.proto and google/monitoring/v3 (metric.proto,
common.proto, metric_service.proto, as shipped in googleapis-common-protos and
google-cloud-monitoring); [quotas] is "User-defined metrics" at
cloud.google.com/monitoring/quotas; [resources] is the list of monitored
resources user-defined metrics may use
(cloud.google.com/monitoring/custom-metrics/creating-metrics, the types the
exporter's resource mapping produces) with their labels from
cloud.google.com/monitoring/api/resources.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import grpc
from google.api import metric_pb2
from google.cloud.monitoring_v3.types import CreateMetricDescriptorRequest, CreateTimeSeriesRequest
from google.protobuf import empty_pb2

SERVICE = "google.monitoring.v3.MetricService"

_PROJECT = re.compile(r"projects/([^/]+)")  # [proto] the requests' name
# User-defined metric types: custom.googleapis.com ([proto] MetricDescriptor.type)
# and workload.googleapis.com (what OpenTelemetry's exporter writes by default).
USER_DEFINED_PREFIXES = ("custom.googleapis.com/", "workload.googleapis.com/")
_LABEL_KEY = re.compile(r"[a-z][a-zA-Z0-9_]*")  # [quotas]: starts with a lower-case letter
MAX_LABELS = 30  # [quotas] labels per metric descriptor
MAX_LABEL_KEY = 100  # [quotas] characters
MAX_LABEL_VALUE = 1024  # [quotas] characters
MAX_SERIES_PER_REQUEST = 200  # [proto] CreateTimeSeriesRequest.time_series; [quotas]
MAX_BUCKETS = 200  # [quotas] histogram buckets of a user-defined distribution
# [quotas] one point each 5 seconds per time series (earlier versions of the page said 10).
SAMPLING_PERIOD_NS = 5_000_000_000
MILLISECOND_NS = 1_000_000
# [proto] TimeInterval: no more than 25 hours in the past, five minutes in the future.
MAX_PAST_NS = 25 * 3600 * 1_000_000_000
MAX_FUTURE_NS = 5 * 60 * 1_000_000_000
RESOURCE_LABELS = {  # [resources]; project_id comes from the request when left out
    "global": (),
    "generic_task": ("location", "namespace", "job", "task_id"),
    "generic_node": ("location", "namespace", "node_id"),
    "gce_instance": ("instance_id", "zone"),
    "k8s_container": ("location", "cluster_name", "namespace_name", "pod_name", "container_name"),
    "k8s_pod": ("location", "cluster_name", "namespace_name", "pod_name"),
    "k8s_node": ("location", "cluster_name", "node_name"),
    "k8s_cluster": ("location", "cluster_name"),
    "aws_ec2_instance": ("instance_id", "region", "aws_account"),
}

_Kind = metric_pb2.MetricDescriptor.MetricKind
_ValueType = metric_pb2.MetricDescriptor.ValueType
_VALUE_FIELDS = {
    "bool_value": _ValueType.BOOL,
    "int64_value": _ValueType.INT64,
    "double_value": _ValueType.DOUBLE,
    "string_value": _ValueType.STRING,
    "distribution_value": _ValueType.DISTRIBUTION,
}


@dataclass(frozen=True)
class Descriptor:
    type: str
    metric_kind: str  # GAUGE, DELTA, CUMULATIVE
    value_type: str  # BOOL, INT64, DOUBLE, STRING, DISTRIBUTION, MONEY
    labels: tuple[str, ...]
    unit: str
    created: bool  # by CreateMetricDescriptor; False when auto-created from a series


@dataclass(frozen=True)
class WrittenPoint:
    metric_type: str
    metric_labels: dict[str, str]
    resource_type: str
    resource_labels: dict[str, str]
    start_ns: int | None
    end_ns: int
    value: int | float | bool | str  # a distribution's count
    bucket_counts: tuple[int, ...] = ()


@dataclass
class _Last:
    start_ns: int | None
    end_ns: int


def descriptor_problems(descriptor: Any) -> Iterator[str]:
    """What makes a metric descriptor invalid, each naming its field."""
    if not descriptor.type.startswith(USER_DEFINED_PREFIXES):
        yield f"type: {descriptor.type!r} is not under {' or '.join(USER_DEFINED_PREFIXES)}"
    if descriptor.metric_kind == _Kind.METRIC_KIND_UNSPECIFIED:
        yield "metric_kind: required"  # [proto] "Do not use this default value."
    if descriptor.value_type == _ValueType.VALUE_TYPE_UNSPECIFIED:
        yield "value_type: required"  # [proto] "Do not use this default value."
    if (
        descriptor.value_type in (_ValueType.BOOL, _ValueType.STRING)
        and descriptor.metric_kind != _Kind.GAUGE
    ):
        yield "value_type: BOOL and STRING metrics must be GAUGE"  # [proto] ValueType
    keys = [label.key for label in descriptor.labels]
    if len(keys) > MAX_LABELS:
        yield f"labels: {len(keys)}, at most {MAX_LABELS}"
    if len(set(keys)) < len(keys):
        yield "labels: a key appears twice"
    for key in keys:
        if not _LABEL_KEY.fullmatch(key) or len(key) > MAX_LABEL_KEY:
            yield f"labels: key {key[:40]!r} is not [a-z][a-zA-Z0-9_]* of at most {MAX_LABEL_KEY}"


def _interval_problems(kind: int, point: Any, now_ns: int) -> Iterator[str]:
    """[proto] TimeInterval, for writes."""
    interval = point.interval
    if not interval.HasField("end_time"):
        yield "points[0].interval.end_time: required"
        return
    end = interval.end_time.ToNanoseconds()
    start = interval.start_time.ToNanoseconds() if interval.HasField("start_time") else None
    if end < now_ns - MAX_PAST_NS or end > now_ns + MAX_FUTURE_NS:
        yield "points[0].interval.end_time: over 25 hours in the past or 5 minutes in the future"
    if kind == _Kind.GAUGE and start is not None and start != end:
        yield "points[0].interval: a GAUGE point's start_time is omitted or equals end_time"
    if kind in (_Kind.CUMULATIVE, _Kind.DELTA) and (start is None or start >= end):
        yield "points[0].interval: a CUMULATIVE or DELTA point's start_time is before end_time"


def _distribution_problems(distribution: Any) -> Iterator[str]:
    """[proto] google.api.Distribution, and [quotas] for the bucket count."""
    counts = list(distribution.bucket_counts)
    if not counts:
        return
    options = distribution.bucket_options
    which = options.WhichOneof("options")
    expected = None
    if which == "explicit_buckets":
        expected = len(options.explicit_buckets.bounds) + 1
    elif which in ("linear_buckets", "exponential_buckets"):
        expected = getattr(options, which).num_finite_buckets + 2
    if expected is not None and len(counts) != expected:
        yield f"distribution: {len(counts)} bucket counts for {expected} buckets"
    if len(counts) > MAX_BUCKETS:
        yield f"distribution: {len(counts)} buckets, at most {MAX_BUCKETS}"
    if sum(counts) != distribution.count:
        yield "distribution: count is not the sum of bucket_counts"


class MonitoringStandIn:
    """Keeps descriptors, accepted points and the refusals it answered."""

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns
        self._lock = threading.Lock()
        self._descriptors: dict[str, Descriptor] = {}
        self._points: list[WrittenPoint] = []
        self._last: dict[tuple[Any, ...], _Last] = {}
        self._refusals: list[str] = []

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "CreateMetricDescriptor": grpc.unary_unary_rpc_method_handler(
                    self._create_metric_descriptor,
                    request_deserializer=CreateMetricDescriptorRequest.deserialize,
                    response_serializer=metric_pb2.MetricDescriptor.SerializeToString,
                ),
                "CreateTimeSeries": grpc.unary_unary_rpc_method_handler(
                    self._create_time_series,
                    request_deserializer=CreateTimeSeriesRequest.deserialize,
                    response_serializer=empty_pb2.Empty.SerializeToString,
                ),
            },
        )

    @property
    def descriptors(self) -> dict[str, Descriptor]:
        with self._lock:
            return dict(self._descriptors)

    @property
    def points(self) -> list[WrittenPoint]:
        with self._lock:
            return list(self._points)

    @property
    def refusals(self) -> list[str]:
        with self._lock:
            return list(self._refusals)

    def _refuse(self, context: grpc.ServicerContext, found: list[str]) -> NoReturn:
        with self._lock:
            self._refusals.append("; ".join(found))
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(found))

    def _create_metric_descriptor(
        self, request: CreateMetricDescriptorRequest, context: grpc.ServicerContext
    ) -> metric_pb2.MetricDescriptor:
        pb = CreateMetricDescriptorRequest.pb(request)
        project = _PROJECT.fullmatch(pb.name)
        found = [] if project else [f"name: {pb.name!r} is not projects/[PROJECT_ID_OR_NUMBER]"]
        found += [f"metric_descriptor.{p}" for p in descriptor_problems(pb.metric_descriptor)]
        if found or project is None:
            self._refuse(context, found)
        descriptor = pb.metric_descriptor
        with self._lock:
            # [proto] CreateMetricDescriptor: an existing descriptor is updated, its
            # labels never removed.
            before = self._descriptors.get(descriptor.type)
            labels = [label.key for label in descriptor.labels]
            kept = [k for k in (before.labels if before else ()) if k not in labels]
            self._descriptors[descriptor.type] = Descriptor(
                type=descriptor.type,
                metric_kind=_Kind.Name(descriptor.metric_kind),
                value_type=_ValueType.Name(descriptor.value_type),
                labels=(*labels, *kept),
                unit=descriptor.unit,
                created=True,
            )
        answer = metric_pb2.MetricDescriptor()
        answer.CopyFrom(descriptor)
        answer.name = f"{pb.name}/metricDescriptors/{descriptor.type}"
        return answer

    def _create_time_series(
        self, request: CreateTimeSeriesRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        pb = CreateTimeSeriesRequest.pb(request)
        project = _PROJECT.fullmatch(pb.name)
        count = len(pb.time_series)
        if project is None or not 0 < count <= MAX_SERIES_PER_REQUEST:
            found = [] if project else [f"name: {pb.name!r} is not projects/[PROJECT_ID_OR_NUMBER]"]
            if not 0 < count <= MAX_SERIES_PER_REQUEST:
                found.append(f"time_series: {count}, from 1 to {MAX_SERIES_PER_REQUEST}")
            self._refuse(context, found)
        failures: list[str] = []
        with self._lock:
            written: set[tuple[Any, ...]] = set()
            for index, series in enumerate(pb.time_series):
                problem = self._write(series, project.group(1), written)
                if problem:
                    failures.append(f"timeSeries[{index}].{problem}")
        if failures:
            # The API's own words: the valid series above are written all the same.
            self._refuse(context, ["One or more TimeSeries could not be written", *failures])
        return empty_pb2.Empty()

    def _write(self, series: Any, project: str, written: set[tuple[Any, ...]]) -> str | None:
        """Checks one series against its descriptor and its last point; writes it if valid.

        Called with the lock held.
        """
        if len(series.points) != 1:
            return f"points: {len(series.points)}, exactly one"  # [proto] TimeSeries.points
        point = series.points[0]
        which = point.value.WhichOneof("value")
        if which not in _VALUE_FIELDS:
            return "points[0].value: required"
        value_type = _VALUE_FIELDS[which]
        descriptor = self._descriptors.get(series.metric.type) or self._auto_created(
            series, value_type
        )
        if isinstance(descriptor, str):
            return descriptor
        problem = next(self._series_problems(series, descriptor, value_type, project), None)
        if problem:
            return problem
        key = (
            series.metric.type,
            tuple(sorted(series.metric.labels.items())),
            series.resource.type,
            tuple(sorted((k, v) for k, v in series.resource.labels.items() if k != "project_id")),
        )
        if key in written:
            # [proto] CreateTimeSeriesRequest: at most one point to each time series.
            return "a second point for the same time series in one request"
        start = (
            point.interval.start_time.ToNanoseconds()
            if point.interval.HasField("start_time")
            else None
        )
        end = point.interval.end_time.ToNanoseconds()
        if (problem := self._continuity_problem(key, descriptor, start, end)) is not None:
            return problem
        written.add(key)
        self._descriptors.setdefault(descriptor.type, descriptor)
        self._last[key] = _Last(start, end)
        distribution = point.value.distribution_value
        self._points.append(
            WrittenPoint(
                metric_type=series.metric.type,
                metric_labels=dict(series.metric.labels),
                resource_type=series.resource.type,
                resource_labels=dict(series.resource.labels),
                start_ns=start,
                end_ns=end,
                value=distribution.count
                if which == "distribution_value"
                else getattr(point.value, which),
                bucket_counts=tuple(distribution.bucket_counts),
            )
        )
        return None

    @staticmethod
    def _auto_created(series: Any, value_type: int) -> Descriptor | str:
        """[proto] TimeSeries.metric_kind and points: a missing user-defined descriptor is
        made from the series: GAUGE (the default) or CUMULATIVE, BOOL, INT64, DOUBLE or
        DISTRIBUTION, with the series' labels."""
        metric_type = series.metric.type
        if not metric_type.startswith(USER_DEFINED_PREFIXES):
            return f"metric.type: no metric descriptor {metric_type!r}"
        kind = series.metric_kind or _Kind.GAUGE
        if kind not in (_Kind.GAUGE, _Kind.CUMULATIVE):
            return "metric_kind: an auto-created descriptor is GAUGE or CUMULATIVE"
        if value_type == _ValueType.STRING:
            return (
                "points[0].value: an auto-created descriptor is BOOL, INT64, DOUBLE or DISTRIBUTION"
            )
        return Descriptor(
            type=metric_type,
            metric_kind=_Kind.Name(kind),
            value_type=_ValueType.Name(value_type),
            labels=tuple(series.metric.labels),
            unit=series.unit,
            created=False,
        )

    def _series_problems(
        self, series: Any, descriptor: Descriptor, value_type: int, project: str
    ) -> Iterator[str]:
        kind = _Kind.Value(descriptor.metric_kind)
        if series.metric_kind and series.metric_kind != kind:  # [proto] TimeSeries.metric_kind
            yield f"metric_kind: {_Kind.Name(series.metric_kind)}, the descriptor's is {descriptor.metric_kind}"
        if series.value_type and series.value_type != value_type:  # [proto] TimeSeries.value_type
            yield "value_type: not the type of the point's value"
        if _ValueType.Name(value_type) != descriptor.value_type:  # [proto] TimeSeries.points
            yield f"points[0].value: {_ValueType.Name(value_type)}, the descriptor's is {descriptor.value_type}"
        # [proto] google.api.Metric.labels: every label of the descriptor, and only those.
        labels = dict(series.metric.labels)
        if set(labels) != set(descriptor.labels):
            yield f"metric.labels: {sorted(labels)}, the descriptor has {sorted(descriptor.labels)}"
        for key, value in labels.items():
            if not _LABEL_KEY.fullmatch(key) or len(key) > MAX_LABEL_KEY:
                yield f"metric.labels: key {key[:40]!r} is not [a-z][a-zA-Z0-9_]*"
            if len(value) > MAX_LABEL_VALUE:
                yield f"metric.labels[{key!r}]: {len(value)} characters, at most {MAX_LABEL_VALUE}"
        yield from self._resource_problems(series.resource, project)
        yield from _interval_problems(kind, series.points[0], self._clock_ns())
        if value_type == _ValueType.DISTRIBUTION:
            yield from _distribution_problems(series.points[0].value.distribution_value)

    @staticmethod
    def _resource_problems(resource: Any, project: str) -> Iterator[str]:
        """[resources], and [proto] MonitoredResource.labels: all of the type's labels."""
        if resource.type not in RESOURCE_LABELS:
            yield f"resource.type: {resource.type!r} cannot be used with user-defined metrics"
            return
        labels = dict(resource.labels)
        if labels.pop("project_id", project) != project:
            yield "resource.labels.project_id: not the request's project"
        expected = set(RESOURCE_LABELS[resource.type])
        if set(labels) != expected:
            yield f"resource.labels: {sorted(labels)}, {resource.type} has {sorted(expected)}"

    def _continuity_problem(
        self, key: tuple[Any, ...], descriptor: Descriptor, start: int | None, end: int
    ) -> str | None:
        """[proto] CreateTimeSeriesRequest and TimeInterval: each point more recent than the
        last; a CUMULATIVE one keeps its start time, or starts after the last ended (a
        reset); [quotas] points at least the sampling period apart."""
        last = self._last.get(key)
        if last is None:
            return None
        if end <= last.end_ns:
            return "points[0].interval.end_time: Points must be written in order"
        if end - last.end_ns < SAMPLING_PERIOD_NS:
            return (
                "points[0].interval.end_time: written more frequently than the maximum "
                "sampling period of the metric"
            )
        continued = start == last.start_ns
        reset = start is not None and start >= last.end_ns + MILLISECOND_NS
        if descriptor.metric_kind == "CUMULATIVE" and not (continued or reset):
            return (
                "points[0].interval.start_time: neither the start of the series' last "
                "point nor after its end"
            )
        return None
