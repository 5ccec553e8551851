"""The Cloud Monitoring stand-in answers a request breaking each documented rule with
INVALID_ARGUMENT naming the field, accepts one at each limit, writes the valid series of a
request, auto-creates a user-defined descriptor, and keeps what it accepts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.api import metric_pb2
from google.api_core.exceptions import InvalidArgument
from google.cloud.monitoring_v3 import MetricServiceClient
from google.cloud.monitoring_v3.services.metric_service.transports.grpc import (
    MetricServiceGrpcTransport,
)
from google.cloud.monitoring_v3.types import CreateMetricDescriptorRequest, CreateTimeSeriesRequest

from herald_tools.local.telemetry import TelemetryStandIns

PROJECT = "herald-local"
SENDS = "workload.googleapis.com/herald/sends"
LATENCY = "workload.googleapis.com/herald/provider.latency"
SECOND = 1_000_000_000
Kind = metric_pb2.MetricDescriptor.MetricKind
ValueType = metric_pb2.MetricDescriptor.ValueType


@pytest.fixture
def standins() -> Iterator[TelemetryStandIns]:
    running = TelemetryStandIns()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def client(standins: TelemetryStandIns) -> MetricServiceClient:
    channel = grpc.insecure_channel(standins.endpoint)
    return MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))


def descriptor_request(
    change: Callable[[Any], None] = lambda _: None,
) -> CreateMetricDescriptorRequest:
    pb = CreateMetricDescriptorRequest.pb(CreateMetricDescriptorRequest())
    pb.name = f"projects/{PROJECT}"
    descriptor = pb.metric_descriptor
    descriptor.type = SENDS
    descriptor.metric_kind = Kind.CUMULATIVE
    descriptor.value_type = ValueType.INT64
    descriptor.unit = "{message}"
    descriptor.labels.add(key="workspace")
    change(descriptor if change.__name__ != "whole" else pb)
    wrapped: CreateMetricDescriptorRequest = CreateMetricDescriptorRequest.wrap(pb)
    return wrapped


def whole(change: Callable[[Any], None]) -> Callable[[Any], None]:
    """Marks a change to the request rather than to its descriptor."""
    change.__name__ = "whole"
    return change


def labels(count: int, key: Callable[[int], str] = lambda i: f"k{i}") -> Callable[[Any], None]:
    def change(descriptor: Any) -> None:
        del descriptor.labels[:]
        for i in range(count):
            descriptor.labels.add(key=key(i))

    return change


BROKEN_DESCRIPTORS: dict[str, tuple[Callable[[Any], None], str]] = {
    "request name": (whole(lambda pb: setattr(pb, "name", "herald-local")), "name:"),
    "not user-defined": (lambda d: setattr(d, "type", "run.googleapis.com/herald/sends"), "metric_descriptor.type"),
    "no metric kind": (lambda d: setattr(d, "metric_kind", Kind.METRIC_KIND_UNSPECIFIED), "metric_kind: required"),
    "no value type": (lambda d: setattr(d, "value_type", ValueType.VALUE_TYPE_UNSPECIFIED), "value_type: required"),
    "a cumulative bool": (lambda d: setattr(d, "value_type", ValueType.BOOL), "must be GAUGE"),
    "31 labels": (labels(31), "labels: 31, at most 30"),
    "a label key of 101 characters": (labels(1, lambda _: "k" * 101), "labels: key"),
    "a label key starting upper-case": (labels(1, lambda _: "Workspace"), "labels: key"),
    "a label key with a dot": (labels(1, lambda _: "work.space"), "labels: key"),
    "a label key twice": (labels(2, lambda _: "workspace"), "appears twice"),
}  # fmt: skip


@pytest.mark.parametrize("rule", BROKEN_DESCRIPTORS)
def test_a_descriptor_breaking_a_rule_is_answered_invalid_argument(
    rule: str, client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    change, expected = BROKEN_DESCRIPTORS[rule]
    with pytest.raises(InvalidArgument) as refused:
        client.create_metric_descriptor(request=descriptor_request(change))
    assert expected in refused.value.message
    assert standins.monitoring.descriptors == {}


@pytest.mark.parametrize(
    "change",
    [labels(30), labels(1, lambda _: "k" * 100), labels(1, lambda _: "reasonCode_2")],
    ids=["30 labels", "a key of 100 characters", "upper-case and digits after the first"],
)
def test_a_descriptor_at_each_limit_is_created(
    change: Callable[[Any], None], client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    answer = client.create_metric_descriptor(request=descriptor_request(change))
    assert answer.name == f"projects/{PROJECT}/metricDescriptors/{SENDS}"
    assert standins.monitoring.descriptors[SENDS].created


def test_creating_a_descriptor_again_updates_it_and_keeps_its_labels(
    client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    client.create_metric_descriptor(request=descriptor_request())
    client.create_metric_descriptor(request=descriptor_request(labels(1, lambda _: "channel")))
    assert standins.monitoring.descriptors[SENDS].labels == ("channel", "workspace")


def now_ns() -> int:
    return time.time_ns()


def series_request(
    change: Callable[[Any], None] = lambda _: None, end_ns: int | None = None
) -> CreateTimeSeriesRequest:
    """One CUMULATIVE INT64 point of the sends counter from a generic_task, then ``change``."""
    pb = CreateTimeSeriesRequest.pb(CreateTimeSeriesRequest())
    pb.name = f"projects/{PROJECT}"
    add_series(pb, end_ns=end_ns)
    change(pb)
    wrapped: CreateTimeSeriesRequest = CreateTimeSeriesRequest.wrap(pb)
    return wrapped


def add_series(pb: Any, workspace: str = "local", end_ns: int | None = None) -> Any:
    end = end_ns if end_ns is not None else now_ns()
    series = pb.time_series.add()
    series.metric.type = SENDS
    series.metric.labels["workspace"] = workspace
    series.metric_kind = Kind.CUMULATIVE
    series.resource.type = "generic_task"
    series.resource.labels.update(
        {"location": "global", "namespace": "", "job": "herald-api", "task_id": "a1"}
    )
    point = series.points.add()
    point.interval.start_time.FromNanoseconds(end - 60 * SECOND)
    point.interval.end_time.FromNanoseconds(end)
    point.value.int64_value = 3
    return series


def first(pb: Any) -> Any:
    return pb.time_series[0]


def point(pb: Any) -> Any:
    return first(pb).points[0]


def interval(point: Any, end_ns: int) -> None:
    point.interval.start_time.FromNanoseconds(end_ns - 60 * SECOND)
    point.interval.end_time.FromNanoseconds(end_ns)


def gauge(pb: Any) -> None:
    first(pb).metric.type = "custom.googleapis.com/queue_depth"
    first(pb).metric_kind = Kind.GAUGE


def distribution(bounds: int, counts: list[int], count: int | None = None) -> Callable[[Any], None]:
    def change(pb: Any) -> None:
        first(pb).metric.type = LATENCY
        first(pb).metric.labels.clear()
        first(pb).metric.labels.update({"provider": "smtp", "channel": "email", "outcome": "SENT"})
        value = point(pb).value
        value.distribution_value.count = sum(counts) if count is None else count
        value.distribution_value.bucket_counts.extend(counts)
        explicit = value.distribution_value.bucket_options.explicit_buckets
        explicit.bounds.extend(float(b) for b in range(1, bounds + 1))

    return change


def _more_series(count: int) -> Callable[[Any], None]:
    def change(pb: Any) -> None:
        for i in range(count):
            add_series(pb, workspace=f"w{i}")

    return change


def _global(pb: Any) -> None:
    first(pb).resource.labels.clear()
    first(pb).resource.type = "global"


BROKEN_SERIES: dict[str, tuple[Callable[[Any], None], str]] = {
    "request name": (lambda pb: setattr(pb, "name", "herald-local"), "name:"),
    "no series": (lambda pb: pb.ClearField("time_series"), "time_series: 0"),
    "201 series": (_more_series(200), "time_series: 201"),
    "two points": (lambda pb: first(pb).points.add().CopyFrom(point(pb)), "points: 2, exactly one"),
    "no value": (lambda pb: point(pb).ClearField("value"), "points[0].value: required"),
    "a double for an INT64 metric": (lambda pb: setattr(point(pb).value, "double_value", 3.0), "points[0].value: DOUBLE"),
    "the series' kind not the descriptor's": (lambda pb: setattr(first(pb), "metric_kind", Kind.GAUGE), "metric_kind: GAUGE"),
    "the series' value type not its point's": (lambda pb: setattr(first(pb), "value_type", ValueType.DOUBLE), "value_type: not the type"),
    "a label missing": (lambda pb: first(pb).metric.labels.clear(), "metric.labels: []"),
    "a label not in the descriptor": (lambda pb: first(pb).metric.labels.update({"tenant": "t"}), "metric.labels: ['tenant', 'workspace']"),
    "a label value of 1025 characters": (lambda pb: first(pb).metric.labels.update({"workspace": "w" * 1025}), "1025 characters"),
    "cloud_run_revision": (lambda pb: setattr(first(pb).resource, "type", "cloud_run_revision"), "cannot be used with user-defined metrics"),
    "a resource label missing": (lambda pb: first(pb).resource.labels.pop("task_id"), "resource.labels:"),
    "another project's resource": (lambda pb: first(pb).resource.labels.update({"project_id": "other-project"}), "project_id"),
    "no end time": (lambda pb: point(pb).interval.ClearField("end_time"), "end_time: required"),
    "an end over 25 hours old": (lambda pb: point(pb).interval.end_time.FromNanoseconds(now_ns() - 25 * 3600 * SECOND - SECOND), "25 hours"),
    "an end over 5 minutes ahead": (lambda pb: point(pb).interval.end_time.FromNanoseconds(now_ns() + 301 * SECOND), "5 minutes"),
    "a cumulative point of no duration": (lambda pb: point(pb).interval.start_time.CopyFrom(point(pb).interval.end_time), "CUMULATIVE or DELTA"),
    "a cumulative point without a start": (lambda pb: point(pb).interval.ClearField("start_time"), "CUMULATIVE or DELTA"),
    "a gauge point with an interval": (gauge, "GAUGE point"),
    "the same series twice": (lambda pb: add_series(pb), "timeSeries[1].a second point"),
    "bucket counts not one per bucket": (distribution(3, [1, 0, 0]), "3 bucket counts for 4 buckets"),
    "a count not the buckets' sum": (distribution(1, [1, 1], count=3), "count is not the sum"),
    "201 buckets": (distribution(200, [0] * 200 + [1]), "201 buckets, at most 200"),
}  # fmt: skip


def create_descriptors(client: MetricServiceClient) -> None:
    client.create_metric_descriptor(request=descriptor_request())

    def latency(descriptor: Any) -> None:
        descriptor.type = LATENCY
        descriptor.value_type = ValueType.DISTRIBUTION
        labels(3, lambda i: ("provider", "channel", "outcome")[i])(descriptor)

    client.create_metric_descriptor(request=descriptor_request(latency))


@pytest.mark.parametrize("rule", BROKEN_SERIES)
def test_a_series_breaking_a_rule_is_answered_invalid_argument(
    rule: str, client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    create_descriptors(client)
    change, expected = BROKEN_SERIES[rule]
    with pytest.raises(InvalidArgument) as refused:
        client.create_time_series(request=series_request(change))
    assert expected in refused.value.message
    assert len(standins.monitoring.refusals) == 1


AT_THE_LIMIT: dict[str, Callable[[Any], None]] = {
    "200 series": _more_series(199),
    "a label value of 1024 characters": lambda pb: first(pb).metric.labels.update({"workspace": "w" * 1024}),
    "the request's own project_id": lambda pb: first(pb).resource.labels.update({"project_id": PROJECT}),
    "an end 25 hours old": lambda pb: interval(point(pb), now_ns() - 25 * 3600 * SECOND + 10 * SECOND),
    "an end 5 minutes ahead": lambda pb: point(pb).interval.end_time.FromNanoseconds(now_ns() + 290 * SECOND),
    "a distribution of 200 buckets": distribution(199, [0] * 199 + [1]),
    "a distribution without a histogram": distribution(0, [], count=4),
    "a global resource": _global,
}  # fmt: skip


@pytest.mark.parametrize("limit", AT_THE_LIMIT)
def test_a_series_at_each_limit_is_written(
    limit: str, client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    create_descriptors(client)
    request = series_request(AT_THE_LIMIT[limit])
    client.create_time_series(request=request)
    assert len(standins.monitoring.points) == len(request.time_series)
    assert standins.monitoring.refusals == []


def test_a_gauge_point_at_one_instant_is_written(
    client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    def instant(pb: Any) -> None:
        gauge(pb)
        point(pb).interval.ClearField("start_time")

    client.create_time_series(request=series_request(instant))
    [written] = standins.monitoring.points
    assert (written.start_ns, written.value) == (None, 3)


def test_the_valid_series_of_a_request_are_written_and_the_others_named(
    client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    create_descriptors(client)

    def one_bad(pb: Any) -> None:
        add_series(pb, workspace="other").metric.labels["tenant"] = "t"
        add_series(pb, workspace="third")

    with pytest.raises(InvalidArgument) as refused:
        client.create_time_series(request=series_request(one_bad))
    assert "timeSeries[1]" in refused.value.message
    assert "timeSeries[0]" not in refused.value.message
    written = {p.metric_labels["workspace"] for p in standins.monitoring.points}
    assert written == {"local", "third"}


def test_a_user_defined_metric_without_a_descriptor_gets_one_from_its_series(
    client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    client.create_time_series(request=series_request())
    auto = standins.monitoring.descriptors[SENDS]
    assert (auto.created, auto.metric_kind, auto.value_type, auto.labels) == (
        False,
        "CUMULATIVE",
        "INT64",
        ("workspace",),
    )


def test_a_metric_not_user_defined_needs_its_descriptor(client: MetricServiceClient) -> None:
    def builtin(pb: Any) -> None:
        first(pb).metric.type = "run.googleapis.com/request_count"

    with pytest.raises(InvalidArgument, match="no metric descriptor"):
        client.create_time_series(request=series_request(builtin))


# A series' next point after one written at `end`, starting `end - 60 s`: (its end, in
# seconds after `end`; its start, in seconds after `end`, or None for the same start;
# accepted?)
NEXT_POINTS = {
    "5 s later, same start": (5, None, True),
    "4.9 s later": (4.9, None, False),
    "earlier than the last": (-1, None, False),
    "a reset after the last": (10, 0.001, True),
    "a new start before the last ended": (10, -1, False),
}


@pytest.mark.parametrize("case", NEXT_POINTS)
def test_points_of_a_series_are_in_order_a_sampling_period_apart_and_keep_their_start(
    case: str, client: MetricServiceClient, standins: TelemetryStandIns
) -> None:
    create_descriptors(client)
    end = now_ns() - 60 * SECOND
    client.create_time_series(request=series_request(end_ns=end))
    later_s, start_s, accepted = NEXT_POINTS[case]
    next_end = end + int(later_s * SECOND)

    def next_point(pb: Any) -> None:
        start = end - 60 * SECOND if start_s is None else end + int(start_s * SECOND)
        point(pb).interval.start_time.FromNanoseconds(start)

    request = series_request(next_point, end_ns=next_end)
    if accepted:
        client.create_time_series(request=request)
        assert len(standins.monitoring.points) == 2
    else:
        with pytest.raises(InvalidArgument, match=r"end_time|start_time"):
            client.create_time_series(request=request)
        assert len(standins.monitoring.points) == 1
