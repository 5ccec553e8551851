"""The notification metrics answer, in Courier's shape (its SDK's
``NotificationMetricsResponse``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MetricsData(_View):
    """One channel and provider's counts in a bucket (sum them for the bucket's totals)."""

    channel: str
    provider: str
    sent: int
    delivered: int
    opened: int
    clicked: int
    errors: int
    undeliverable: int


class MetricsBucket(_View):
    period: str  # the bucket's start, UTC to the second
    data: list[MetricsData]


class NotificationMetrics(_View):
    notification_id: str = Field(alias="notificationId")
    granularity: Literal["HOUR", "DAY", "WEEK", "MONTH"]
    start: str
    end: str
    series: list[MetricsBucket]
