"""Courier's notification metrics: a template's delivery funnel over a window, per bucket,
channel and provider, read from the counters each message's commits keep
(``herald.store.template_metrics``), never from the messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from herald.clock import now_ms
from herald.domain.send import duration_ms
from herald.errors import ValidationFailed
from herald.store.template_metrics import (
    DAY_MS,
    HOUR_MS,
    METRICS,
    BucketCounts,
    TemplateMetricsRepository,
    TooManyCounters,
    Unit,
    bucket_start,
    month_after,
)

Granularity = Literal["HOUR", "DAY", "WEEK", "MONTH"]
DEFAULT_LOOKBACK = "P30D"
# The widest window each granularity covers: Courier's for HOUR and DAY; WEEK and MONTH,
# uncapped there, are summed from days here, so bounded to keep a read of their days'
# counters (days x shards per channel and provider) well under what one read takes.
MAX_SPAN_MS: dict[str, int] = {
    "HOUR": 7 * DAY_MS,
    "DAY": 90 * DAY_MS,
    "WEEK": 26 * 7 * DAY_MS,
    "MONTH": 6 * 31 * DAY_MS,
}
MAX_BUCKETS = 1000
MAX_PARAM_CHARS = 40
# The counters a granularity's buckets are made of: hours, or days summed.
UNIT_OF: dict[str, Unit] = {"HOUR": "hour", "DAY": "day", "WEEK": "day", "MONTH": "day"}


def parse_lookback(text: str) -> int:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds, in ms (> 0)."""
    ms = duration_ms(text)
    if ms is None:
        raise ValidationFailed.of(
            "lookback",
            "must be an ISO 8601 duration of weeks, days, hours, minutes or seconds,"
            " e.g. P30D, P12W, PT12H",
        )
    if ms <= 0:
        raise ValidationFailed.of("lookback", "must be longer than nothing")
    return ms


def _instant(name: str, text: str) -> int:
    try:
        at = dt.datetime.fromisoformat(text) if len(text) <= MAX_PARAM_CHARS else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailed.of(
            name, "must be an ISO 8601 timestamp with an offset, e.g. 2026-04-01T00:00:00Z"
        )
    return int(at.timestamp() * 1000)


def floor_to(granularity: str, at_ms: int) -> int:
    if granularity == "HOUR":
        return bucket_start("hour", at_ms)
    if granularity == "MONTH":
        return bucket_start("month", at_ms)
    day = bucket_start("day", at_ms)
    if granularity == "WEEK":  # weeks start on Sunday
        weekday = (dt.datetime.fromtimestamp(day / 1000, dt.UTC).weekday() + 1) % 7
        return day - weekday * DAY_MS
    return day


def next_bucket(granularity: str, start_ms: int) -> int:
    step = {"HOUR": HOUR_MS, "DAY": DAY_MS, "WEEK": 7 * DAY_MS}
    return month_after(start_ms) if granularity == "MONTH" else start_ms + step[granularity]


def ceil_to(granularity: str, at_ms: int) -> int:
    floor = floor_to(granularity, at_ms)
    return floor if floor == at_ms else next_bucket(granularity, floor)


def window(query: Mapping[str, str], now: int) -> tuple[str, int, int]:
    """The granularity and the window [start, end) snapped outwards onto its grid."""
    granularity = query.get("granularity", "DAY")
    if granularity not in get_args(Granularity):
        raise ValidationFailed.of("granularity", "must be one of HOUR, DAY, WEEK, MONTH")
    start_text, end_text = query.get("start"), query.get("end")
    if (start_text is None) != (end_text is None):
        missing = "end" if end_text is None else "start"
        raise ValidationFailed.of(missing, "start and end are given together")
    if start_text is not None and end_text is not None:
        start, end = _instant("start", start_text), _instant("end", end_text)
        if start >= end:
            raise ValidationFailed.of("start", "must be earlier than end")
        field = "start"
    else:
        end = now
        start = end - parse_lookback(query.get("lookback", DEFAULT_LOOKBACK))
        field = "lookback"
    if end - start > MAX_SPAN_MS[granularity]:
        days = MAX_SPAN_MS[granularity] // DAY_MS
        instead = "a coarser granularity" if granularity in ("HOUR", "DAY") else "a shorter window"
        raise ValidationFailed.of(
            field, f"a {granularity} series spans at most {days} days: choose {instead}"
        )
    return granularity, floor_to(granularity, start), ceil_to(granularity, end)


def iso_seconds(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms // 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NotificationMetrics:
    def __init__(
        self, metrics: TemplateMetricsRepository, clock: Callable[[], int] = now_ms
    ) -> None:
        self.metrics = metrics
        self.clock = clock

    def funnel(self, workspace: str, template_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """Courier's ``NotificationMetricsResponse``: every bucket of the window, oldest
        first, quiet ones with no data; an unknown template has only quiet ones."""
        granularity, start, end = window(query, self.clock())
        buckets: list[int] = []
        at = start
        while at < end and len(buckets) <= MAX_BUCKETS:
            buckets.append(at)
            at = next_bucket(granularity, at)
        if len(buckets) > MAX_BUCKETS:
            raise ValidationFailed.of("granularity", f"at most {MAX_BUCKETS} buckets a series")
        try:
            counted = self.metrics.counts(workspace, template_id, UNIT_OF[granularity], start, end)
        except TooManyCounters:
            raise ValidationFailed.of(
                "start" if "start" in query else "lookback",
                f"this window holds more than {self.metrics.most:,} of the template's counters"
                " (one a day per channel, provider and shard): choose a shorter one",
            ) from None
        data: dict[int, dict[tuple[str, str], dict[str, int]]] = {}
        for row in counted:
            _add(data, floor_to(granularity, row.bucket_ms), row)
        return {
            "notificationId": template_id,
            "granularity": granularity,
            "start": iso_seconds(start),
            "end": iso_seconds(end),
            "series": [
                {
                    "period": iso_seconds(bucket),
                    "data": [
                        {"channel": channel, "provider": provider, **counts}
                        for (channel, provider), counts in sorted(data.get(bucket, {}).items())
                    ],
                }
                for bucket in buckets
            ],
        }


def _add(
    data: dict[int, dict[tuple[str, str], dict[str, int]]], bucket: int, row: BucketCounts
) -> None:
    """Adds a counter's row to its bucket (a week sums its days)."""
    pair = data.setdefault(bucket, {}).setdefault(
        (row.channel, row.provider), dict.fromkeys(METRICS, 0)
    )
    for metric in METRICS:
        pair[metric] += row.counts.get(metric, 0)
