"""The event web's figures in production: Cloud Monitoring's ``projects.timeSeries.list``
(REST, v3) asked as its reference documents it, by a local stand-in that refuses any
other request, and its answers (int64s as JSON strings) read into each edge's figures."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from herald.console.cloud_monitoring import (
    MAX_PAGES,
    MAX_RESPONSE_BYTES,
    PAGE_SIZE,
    FiguresUnavailable,
    MonitoringFigures,
)
from herald.console.event_stats import EdgeStats, SpanFigures
from herald.console.pages import event_web
from tests.unit.test_console import make_pipeline, signed_in, text
from tests.unit.test_console_event_web import edge_rows

PROJECT = "acme-prod"
TOKEN = "ya29.test-token"
NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SINCE_MS = NOW_MS - 3_600_000
METRIC = "workload.googleapis.com/herald/event_web.edges"
EDGE = ["metric.label.direction", "metric.label.function", "metric.label.event"]


def expected_query(workspace: str, reducer: str, start: str, end: str) -> dict[str, list[str]]:
    """The parameters of the reference's query string, each as documented."""
    return {
        "filter": [f'metric.type = "{METRIC}" AND metric.labels.workspace = "{workspace}"'],
        "interval.startTime": [start],
        "interval.endTime": [end],
        "aggregation.alignmentPeriod": ["3600s"],
        "aggregation.perSeriesAligner": ["ALIGN_DELTA"],
        "aggregation.crossSeriesReducer": [reducer],
        "aggregation.groupByFields": [*EDGE, "metric.label.outcome"]
        if reducer == "REDUCE_SUM"
        else EDGE,
        "view": ["FULL"],
        "pageSize": [str(PAGE_SIZE)],
    }


def series(labels: dict[str, str], value: dict[str, Any]) -> dict[str, Any]:
    """A time series as the API answers it: its metric, resource, kinds and points."""
    return {
        "metric": {"type": METRIC, "labels": labels},
        "resource": {"type": "generic_task", "labels": {"project_id": PROJECT}},
        "metricKind": "DELTA",
        "valueType": "DISTRIBUTION" if "distributionValue" in value else "DOUBLE",
        "points": [
            {
                "interval": {
                    "startTime": "2025-12-31T23:00:00Z",
                    "endTime": "2026-01-01T00:00:00Z",
                },
                "value": value,
            }
        ],
    }


def counted(direction: str, function: str, event: str, outcome: str, n: int) -> dict[str, Any]:
    labels = {"direction": direction, "function": function, "event": event, "outcome": outcome}
    # A distribution's count is an int64: a string in JSON.
    return series(labels, {"distributionValue": {"count": str(n), "mean": 4.2}})


def p95(direction: str, function: str, event: str, ms: float) -> dict[str, Any]:
    labels = {"direction": direction, "function": function, "event": event}
    return series(labels, {"doubleValue": ms})


SUMS_PAGE_1 = [
    counted("produced", "api", "message.enqueued", "ok", 3),
    counted("consumed", "render", "message.enqueued", "ok", 2),
]
SUMS_PAGE_2 = [
    counted("consumed", "render", "message.enqueued", "error", 1),
    counted("produced", "", "message.undeliverable", "ok", 4),
]
PERCENTILES = [
    p95("produced", "api", "message.enqueued", 7.5),
    p95("consumed", "render", "message.enqueued", 40.25),
    p95("produced", "", "message.undeliverable", 3.0),
]


class StandIn:
    """``monitoring.googleapis.com`` for ``GET /v3/projects/{project}/timeSeries``: every
    request checked against the reference, and answered from ``answer``."""

    def __init__(
        self,
        answer: Callable[[dict[str, list[str]]], tuple[int, bytes]],
        interval: tuple[str, str] | None = ("2025-12-31T23:00:00.000Z", "2026-01-01T00:00:00.000Z"),
    ) -> None:
        self.answer = answer
        self.interval = interval
        self.requests: list[dict[str, list[str]]] = []
        self.refusals: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query, keep_blank_values=True)
                problem = stand_in.check(url.path, self.headers.get("authorization", ""), query)
                if problem:
                    stand_in.refusals.append(problem)
                    status, body = (
                        400,
                        json.dumps(
                            {
                                "error": {
                                    "code": 400,
                                    "message": problem,
                                    "status": "INVALID_ARGUMENT",
                                }
                            }
                        ).encode(),
                    )
                else:
                    stand_in.requests.append(query)
                    status, body = stand_in.answer(query)
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=UTF-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, path: str, authorization: str, query: dict[str, list[str]]) -> str:
        if path != f"/v3/projects/{PROJECT}/timeSeries":
            return f"no such method: {path}"
        if authorization != f"Bearer {TOKEN}":
            return "Request had invalid authentication credentials."
        reducer = query.get("aggregation.crossSeriesReducer", [""])[0]
        if reducer not in ("REDUCE_SUM", "REDUCE_PERCENTILE_95"):
            return f"unexpected reducer {reducer!r}"
        start, end = (
            query.get("interval.startTime", [""])[0],
            query.get("interval.endTime", [""])[0],
        )
        if self.interval is not None and (start, end) != self.interval:
            return f"interval {start}/{end} is not {self.interval}"
        # RFC 3339, UTC, an hour apart: what the alignment period spans.
        try:
            hour = datetime.datetime.fromisoformat(end) - datetime.datetime.fromisoformat(start)
        except ValueError:
            return f"interval {start}/{end} is not RFC 3339"
        if not end.endswith("Z") or hour != datetime.timedelta(hours=1):
            return f"interval {start}/{end} is not an hour in UTC"
        wanted = expected_query("ws1", reducer, start, end)
        given = {k: v for k, v in query.items() if k != "pageToken"}
        if given != wanted:
            return f"parameters {given} are not {wanted}"
        return ""

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def page_of(items: list[dict[str, Any]], token: str = "") -> tuple[int, bytes]:
    return 200, json.dumps(
        {"timeSeries": items, "nextPageToken": token} if token else {"timeSeries": items}
    ).encode()


def documented_answers(query: dict[str, list[str]]) -> tuple[int, bytes]:
    if query["aggregation.crossSeriesReducer"] == ["REDUCE_PERCENTILE_95"]:
        return page_of(PERCENTILES)
    # The sums come in two pages.
    if query.get("pageToken") == ["page-2"]:
        return page_of(SUMS_PAGE_2)
    return page_of(SUMS_PAGE_1, "page-2")


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn(documented_answers)
    yield server
    server.close()


def figures(server: StandIn) -> MonitoringFigures:
    return MonitoringFigures(PROJECT, lambda: TOKEN, api=server.url)


def test_each_edge_is_read_from_the_documented_queries(stand_in: StandIn) -> None:
    counts = figures(stand_in).counts("ws1", SINCE_MS, NOW_MS)
    assert stand_in.refusals == []
    # The sums' two pages, then the percentiles' one.
    assert [q.get("pageToken") for q in stand_in.requests] == [None, ["page-2"], None]
    assert counts.produced == {("api", "message.enqueued"): EdgeStats(3, 0, 7.5)}
    assert counts.consumed == {("message.enqueued", "render"): EdgeStats(3, 1, 40.25)}
    assert counts.failures == {"api": 0, "render": 1}
    assert "message.undeliverable" in counts.uncredited
    assert "message.enqueued" not in counts.uncredited
    # Drawn: an event of several producers is not credited to any of them.
    web = event_web(counts=counts)
    undeliverable = [
        e for e in web.edges if e.event == "message.undeliverable" and e.target == e.event
    ]
    assert undeliverable and all(e.stats is None for e in undeliverable)
    enqueued = next(e for e in web.edges if e.source == "api" and e.event == "message.enqueued")
    assert enqueued.stats == EdgeStats(3, 0, 7.5)


def test_the_page_draws_cloud_monitorings_figures_of_the_last_hour() -> None:
    stand_in = StandIn(documented_answers, interval=None)  # the page's hour ends now
    pipeline = make_pipeline(project=PROJECT)
    pipeline.adapters.traces = None
    pipeline.services.__dict__["event_figures"] = figures(stand_in)
    try:
        page = text(signed_in(pipeline).get("/console/events"))
    finally:
        stand_in.close()
    assert stand_in.refusals == []
    rows = edge_rows(page)
    assert rows["api→message.enqueued"][3:] == ["3", "0", "7.5 ms"]
    assert rows["message.enqueued→render"][3:] == ["3", "1", "40.2 ms"]
    assert "From Cloud Monitoring" in page


def test_a_refusal_or_an_answer_out_of_bounds_is_said_on_the_page() -> None:
    denied = {
        "error": {
            "code": 403,
            "message": "Permission monitoring.timeSeries.list denied",
            "status": "PERMISSION_DENIED",
        }
    }
    refusing = StandIn(lambda query: (403, json.dumps(denied).encode()), interval=None)
    try:
        with pytest.raises(FiguresUnavailable, match=r"answered 403: .*PERMISSION_DENIED"):
            figures(refusing).counts("ws1", SINCE_MS, NOW_MS)
        pipeline = make_pipeline(project=PROJECT)
        pipeline.services.__dict__["event_figures"] = figures(refusing)
        page = text(signed_in(pipeline).get("/console/events"))
        assert "The last hour's figures could not be read: Cloud Monitoring answered 403" in page
        assert 'id="edge-counts"' not in page
    finally:
        refusing.close()


def padded(size: int) -> bytes:
    """A documented empty answer, padded with whitespace to ``size`` bytes."""
    body = b'{"timeSeries": []}'
    return body + b" " * (size - len(body))


def test_the_answer_is_bounded_in_bytes_at_its_limit() -> None:
    for size, accepted in ((MAX_RESPONSE_BYTES, True), (MAX_RESPONSE_BYTES + 1, False)):
        server = StandIn(lambda query, size=size: (200, padded(size)))  # type: ignore[misc]
        try:
            if accepted:
                assert figures(server).counts("ws1", SINCE_MS, NOW_MS).consumed == {}
            else:
                with pytest.raises(FiguresUnavailable, match="over"):
                    figures(server).counts("ws1", SINCE_MS, NOW_MS)
        finally:
            server.close()


def test_the_pages_are_bounded() -> None:
    endless = StandIn(lambda query: page_of([], "more"))
    try:
        with pytest.raises(FiguresUnavailable, match=f"more than {MAX_PAGES} pages"):
            figures(endless).counts("ws1", SINCE_MS, NOW_MS)
        assert len(endless.requests) == MAX_PAGES
    finally:
        endless.close()


def test_the_composition_root_reads_spans_where_it_keeps_them_and_cloud_monitoring_else() -> None:
    local = make_pipeline(project=PROJECT)
    assert isinstance(local.services.event_figures, SpanFigures)
    deployed = make_pipeline(project=PROJECT)
    deployed.adapters.traces = None
    chosen = deployed.services.event_figures
    assert isinstance(chosen, MonitoringFigures) and chosen.project == PROJECT
    assert chosen.api == "https://monitoring.googleapis.com"
