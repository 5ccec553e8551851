"""The event web's last hour in production, read from Cloud Monitoring.

The functions record each edge's events as the ``event_web.edges`` histogram
(``herald.observability.metrics``), which the exporter writes as
``workload.googleapis.com/herald/event_web.edges``. Its REST API's
``projects.timeSeries.list`` answers, for the signed-in workspace's series:

- the events and failures: each series' delta over the window (``ALIGN_DELTA``), summed
  per edge and outcome (``REDUCE_SUM``), whose distribution counts the events;
- the p95: the same deltas reduced per edge by ``REDUCE_PERCENTILE_95``, which
  Cloud Monitoring estimates from the histogram's buckets.

A request is bounded in time (``TIMEOUT_S``), in the bytes read (``MAX_RESPONSE_BYTES``)
and in pages (``MAX_PAGES``); what goes wrong is ``FiguresUnavailable``, which the page
says instead of figures.
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from herald.console.event_stats import EdgeStats, WebCounts
from herald.events.registry import EVENTS
from herald.observability.metrics import CONSUMED, EDGES_METRIC, METRIC_PREFIX, PRODUCED

API = "https://monitoring.googleapis.com"
READ_SCOPE = "https://www.googleapis.com/auth/monitoring.read"
METRIC_TYPE = f"{METRIC_PREFIX}/{EDGES_METRIC}"
TIMEOUT_S = 5.0
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
# Each page holds at most this many points; an hour aligned to one period is a point or
# two per series, and the web has a few dozen edges.
PAGE_SIZE = 1000
MAX_PAGES = 5
EDGE_FIELDS = ("metric.label.direction", "metric.label.function", "metric.label.event")


class FiguresUnavailable(Exception):
    """Cloud Monitoring did not answer as documented (or in time)."""


def _rfc3339(epoch_ms: int) -> str:
    at = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def _quoted(value: str) -> str:
    """A string as a monitoring filter's literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def adc_token() -> Callable[[], str]:
    """A token of the instance's credentials (the api's service account), looked up at the
    first read: a deployment without them says so on the page, not at start."""
    from herald.providers.google_token import google_access_token

    source: list[Callable[[], str]] = []

    def token() -> str:
        if not source:
            source.append(google_access_token(READ_SCOPE))
        return source[0]()

    return token


@dataclass
class MonitoringFigures:
    """``EventWebFigures`` from Cloud Monitoring's ``projects.timeSeries.list``."""

    project: str
    token: Callable[[], str]
    api: str = API
    source: str = "monitoring"

    def counts(self, workspace: str, since_ms: int, until_ms: int) -> WebCounts:
        end_ms = until_ms
        # One alignment period spanning the window: a point per series (the API wants 60 s
        # at least).
        period_s = max(60, (end_ms - since_ms + 999) // 1000)
        common = {
            "filter": f"metric.type = {_quoted(METRIC_TYPE)} AND "
            f"metric.labels.workspace = {_quoted(workspace)}",
            "interval.startTime": _rfc3339(since_ms),
            "interval.endTime": _rfc3339(end_ms),
            "aggregation.alignmentPeriod": f"{period_s}s",
            "aggregation.perSeriesAligner": "ALIGN_DELTA",
            "view": "FULL",
            "pageSize": str(PAGE_SIZE),
        }
        events: dict[tuple[str, str, str], int] = defaultdict(int)
        errors: dict[tuple[str, str, str], int] = defaultdict(int)
        for series in self._series(
            {**common, "aggregation.crossSeriesReducer": "REDUCE_SUM"},
            (*EDGE_FIELDS, "metric.label.outcome"),
        ):
            edge = _edge(series)
            count = sum(_count(point) for point in series.get("points", []))
            events[edge] += count
            if _labels(series).get("outcome") == "error":
                errors[edge] += count
        p95s: dict[tuple[str, str, str], float] = {}
        for series in self._series(
            {**common, "aggregation.crossSeriesReducer": "REDUCE_PERCENTILE_95"}, EDGE_FIELDS
        ):
            values = [_double(point) for point in series.get("points", [])]
            # More than one period's point (a window across a boundary): the larger.
            if values := [v for v in values if v is not None]:
                p95s[_edge(series)] = max(values)
        return _web_counts(events, errors, p95s)

    def _series(
        self, params: dict[str, str], group_by: tuple[str, ...]
    ) -> Iterator[dict[str, Any]]:
        token = ""
        for _ in range(MAX_PAGES):
            query = [*params.items(), *(("aggregation.groupByFields", f) for f in group_by)]
            if token:
                query.append(("pageToken", token))
            answer = self._get(f"/v3/projects/{self.project}/timeSeries?" + urlencode(query))
            if errors := answer.get("executionErrors"):
                raise FiguresUnavailable(f"Cloud Monitoring: {str(errors)[:300]}")
            yield from answer.get("timeSeries", [])
            token = answer.get("nextPageToken", "")
            if not token:
                return
        raise FiguresUnavailable(f"Cloud Monitoring: more than {MAX_PAGES} pages of series")

    def _get(self, path: str) -> dict[str, Any]:
        try:
            token = self.token()
        except Exception as exc:  # google-auth's errors: no credentials, a refresh refused
            raise FiguresUnavailable(f"no token for Cloud Monitoring: {exc}") from None
        request = urllib.request.Request(
            self.api + path,
            headers={"authorization": f"Bearer {token}", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            reason = exc.read(2000).decode("utf-8", errors="replace")
            raise FiguresUnavailable(f"Cloud Monitoring answered {exc.code}: {reason}") from None
        except (OSError, ValueError) as exc:
            raise FiguresUnavailable(f"Cloud Monitoring could not be read: {exc}") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise FiguresUnavailable(
                f"Cloud Monitoring's answer is over {MAX_RESPONSE_BYTES} bytes"
            )
        try:
            answer = json.loads(body)
        except ValueError:
            raise FiguresUnavailable("Cloud Monitoring's answer is not JSON") from None
        if not isinstance(answer, dict):
            raise FiguresUnavailable("Cloud Monitoring's answer is not a JSON object")
        return answer


def _labels(series: dict[str, Any]) -> dict[str, str]:
    labels = (series.get("metric") or {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}


def _edge(series: dict[str, Any]) -> tuple[str, str, str]:
    labels = _labels(series)
    return labels.get("direction", ""), labels.get("function", ""), labels.get("event", "")


def _count(point: dict[str, Any]) -> int:
    # int64 fields are JSON strings in Google's REST answers.
    return int((point.get("value") or {}).get("distributionValue", {}).get("count", 0))


def _double(point: dict[str, Any]) -> float | None:
    value = (point.get("value") or {}).get("doubleValue")
    return float(value) if value is not None else None


def _web_counts(
    events: dict[tuple[str, str, str], int],
    errors: dict[tuple[str, str, str], int],
    p95s: dict[tuple[str, str, str], float],
) -> WebCounts:
    produced: dict[tuple[str, str], EdgeStats] = {}
    consumed: dict[tuple[str, str], EdgeStats] = {}
    failures: dict[str, int] = defaultdict(int)
    for edge, count in events.items():
        direction, function, event = edge
        stats = EdgeStats(count, errors.get(edge, 0), p95s.get(edge) if count else None)
        if function:
            failures[function] += stats.errors
        if direction == PRODUCED and function:
            produced[(function, event)] = stats
        elif direction == CONSUMED:
            consumed[(event, function)] = stats
    return WebCounts(
        produced=produced,
        consumed=consumed,
        failures=dict(failures),
        truncated=False,
        # The relay does not know which of several producers wrote a record.
        uncredited=frozenset(spec.name for spec in EVENTS if len(spec.producers) > 1),
    )
