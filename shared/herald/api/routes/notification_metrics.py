"""Courier's notification metrics: a template's delivery funnel over time."""

from __future__ import annotations

from herald.api import models_notification_metrics as m
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, Query

router = Router()
TAG = "Notifications"


@router.get(
    "/notifications/{id}/metrics",
    summary="Get a notification template's delivery funnel",
    tag=TAG,
    description=(
        "Per bucket, per channel and provider: messages sent, delivered, opened, clicked,"
        " provider errors and undeliverable, counted as each message changes. Every bucket"
        " of the window comes back, quiet ones with empty `data`; the window is snapped"
        " outwards onto the granularity's UTC grid (`WEEK`s start on Sunday) and the snapped"
        " `start` and `end` returned. An unknown template has only quiet buckets. `HOUR`"
        " spans at most 7 days, `DAY` 90, `WEEK` 26 weeks, `MONTH` 186 days; a wider"
        " window, or one holding more counters than a read takes, is a `400` naming"
        " `start` or `lookback`."
    ),
    answers=(Answer(200, m.NotificationMetrics, "the template's series"),),
    query=(
        Query("start", "the window's inclusive start, ISO 8601 with an offset; with end"),
        Query("end", "the window's end, ISO 8601 with an offset; with start"),
        Query("lookback", "the window back from now, an ISO 8601 duration (P30D if not given)"),
        Query("granularity", "HOUR, DAY (the default), WEEK or MONTH"),
    ),
)
def get_metrics(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.notification_metrics.funnel(
            ctx.workspace, ctx.params["id"], ctx.request.query
        ),
    )
