"""The event web's last hour: each edge's count, failures and p95 from the spans Herald
records (the span files locally), the signed-in workspace's only; a function's recent
failures and dead letters."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest

from herald.clock import now_ms
from herald.console import event_stats
from herald.console.event_stats import EdgeStats, count_web, p95, recent_failures
from herald.events.registry import EVENTS, spec_for
from herald.observability import spanfile
from herald.observability.spanfile import InMemoryTraces, RecentSpans, SpanFileTraces, SpanRecord
from tests.unit.fakes import Pipeline
from tests.unit.test_console import HOSTILE, make_pipeline, sent_message, signed_in, text
from tests.unit.test_console_dead_letters import dead_letters_of, rendered_event

MS = 1_000_000
_ids = itertools.count(1)


def new_span_id() -> str:
    return f"{next(_ids):016x}"


def consumed(
    event: str,
    consumer: str,
    took_ms: int,
    workspace: str = "ws1",
    status: str = "UNSET",
    at_ms: int | None = None,
    extra: dict[str, str] | None = None,
) -> SpanRecord:
    start = (at_ms if at_ms is not None else now_ms() - 60_000) * MS
    return SpanRecord(
        "ab" * 16,
        new_span_id(),
        None,
        f"{spec_for(event).topic} process",
        "CONSUMER",
        f"herald-{consumer}",
        start,
        start + took_ms * MS,
        status,
        {
            "messaging.destination.name": spec_for(event).topic,
            "herald.consumer": consumer,
            "herald.workspace": workspace,
            **(extra or {}),
        },
    )


def relayed(
    event: str, writer: SpanRecord | None, took_ms: int, workspace: str = "ws1"
) -> SpanRecord:
    start = (now_ms() - 60_000) * MS
    return SpanRecord(
        "ab" * 16,
        new_span_id(),
        writer.span_id if writer else new_span_id(),
        "outbox relay",
        "CONSUMER",
        "herald-relay",
        start,
        start + took_ms * MS,
        "UNSET",
        {"herald.event_type": event, "herald.workspace": workspace},
    )


def written_by(function: str) -> SpanRecord:
    start = (now_ms() - 60_000) * MS
    return SpanRecord(
        "ab" * 16, new_span_id(), None, "commit messages", "CLIENT", f"herald-{function}",
        start, start + MS, "UNSET",
    )  # fmt: skip


def recent_of(spans: list[SpanRecord]) -> RecentSpans:
    traces = InMemoryTraces()
    traces.spans = spans
    return traces.recent(0)


def test_p95_is_the_nearest_rank() -> None:
    assert p95([]) is None
    assert p95([7.0]) == 7.0
    assert p95([float(n) for n in range(1, 21)]) == 19.0  # 19 of 20 are at or under it
    assert p95([float(n) for n in range(1, 101)]) == 95.0
    assert p95([float(n) for n in range(1, 102)]) == 96.0


def test_each_edge_counts_the_workspaces_events_failures_and_p95() -> None:
    api, render, deliver = written_by("api"), written_by("render"), written_by("deliver")
    spans = [
        written_by("api"),
        api,
        render,
        deliver,
        *[relayed("message.enqueued", api, took) for took in (5, 6, 7)],
        # Three producers: each relayed record is credited to the function that wrote it.
        relayed("message.undeliverable", render, 3),
        relayed("message.undeliverable", deliver, 4),
        relayed("message.undeliverable", deliver, 9),
        *[consumed("message.enqueued", "render", took) for took in range(1, 20)],
        consumed("message.enqueued", "render", 500, status="ERROR"),
        # Another workspace's: not this workspace's figures.
        relayed("message.enqueued", api, 1, workspace="ws2"),
        consumed("message.enqueued", "render", 1, workspace="ws2", status="ERROR"),
        # Not a consumer of that event: no edge of the web.
        consumed("message.enqueued", "deliver", 1),
    ]
    counts = count_web(recent_of(spans), "ws1")
    assert counts.produced == {
        ("api", "message.enqueued"): EdgeStats(3, 0, 7.0),
        ("render", "message.undeliverable"): EdgeStats(1, 0, 3.0),
        ("deliver", "message.undeliverable"): EdgeStats(2, 0, 9.0),
    }
    assert counts.consumed == {("message.enqueued", "render"): EdgeStats(20, 1, 19.0)}
    assert counts.failures == {"render": 1}


def test_a_relayed_record_whose_writer_was_not_read_is_credited_only_to_a_sole_producer() -> None:
    spans = [relayed("message.rendered", None, 2), relayed("message.undeliverable", None, 2)]
    counts = count_web(recent_of(spans), "ws1")
    assert counts.produced == {("render", "message.rendered"): EdgeStats(1, 0, 2.0)}


def traces_of(pipeline: Pipeline) -> InMemoryTraces:
    traces = pipeline.adapters.traces
    assert isinstance(traces, InMemoryTraces)
    return traces


def edge_rows(page: str) -> dict[str, list[str]]:
    table = re.search(r'<table id="edge-counts">.*?</table>', page, re.S)
    assert table, page
    return {
        edge: re.findall(r"<td>(.*?)</td>", cells)
        for edge, cells in re.findall(r'<tr data-edge="([^"]+)">(.*?)</tr>', table[0], re.S)
    }


def test_the_page_draws_each_edges_last_hour_and_a_failed_edge_red() -> None:
    pipeline = make_pipeline()
    api = written_by("api")
    traces_of(pipeline).spans += [
        api,
        relayed("message.enqueued", api, 12),
        consumed("message.enqueued", "render", 30),
        consumed("message.enqueued", "webhooks", 40, status="ERROR"),
        # Older than the hour: not counted.
        consumed("message.enqueued", "render", 30, at_ms=now_ms() - 3_700_000),
    ]
    page = text(signed_in(pipeline).get("/console/events"))
    rows = edge_rows(page)
    assert rows["api→message.enqueued"][3:] == ["1", "0", "12.0 ms"]
    assert rows["message.enqueued→render"][3:] == ["1", "0", "30.0 ms"]
    assert rows["message.enqueued→webhooks"][3:] == ["1", "1", "40.0 ms"]
    assert rows["render→message.rendered"][3:] == ["0", "0", "—"]
    # Every relayed edge has a row; history-only events are never relayed, never counted.
    relayed_edges = sum(
        len(spec.producers) + len(spec.consumers) for spec in EVENTS if spec.consumers
    )
    assert len(rows) == relayed_edges
    assert "message.routed" not in "".join(rows)
    assert page.count('class="edge-figures"') == relayed_edges
    assert ">1 · 1 failed · p95 40.0 ms</text>" in page
    assert page.count('stroke="#b71c1c"') == 1  # the one edge with a failure
    assert "render</a>: 0 failed in the last hour" in page
    assert "webhooks</a>: 1 failed in the last hour" in page


def test_another_workspaces_spans_are_not_on_its_page() -> None:
    pipeline = make_pipeline()
    traces_of(pipeline).spans += [consumed("message.enqueued", "render", 30, workspace="ws2")]
    rows = edge_rows(text(signed_in(pipeline).get("/console/events")))
    assert rows["message.enqueued→render"][3] == "0"


def test_without_a_source_of_figures_the_page_says_where_the_spans_are() -> None:
    pipeline = make_pipeline(project="acme-prod")
    pipeline.services.__dict__["event_figures"] = None  # a stack that keeps no spans
    page = text(signed_in(pipeline).get("/console/events"))
    assert 'id="edge-counts"' not in page and "edge-figures" not in page
    assert "traces/list?project=acme-prod" in page


def test_a_function_shows_its_recent_failures_and_dead_letters_of_the_workspace_only() -> None:
    pipeline = make_pipeline()
    mine, theirs = sent_message(pipeline), sent_message(pipeline, key="hk_console_two")
    traces_of(pipeline).spans += [
        consumed(
            "message.rendered", "deliver", 25, status="ERROR",
            extra={"herald.event_id": f"ws1:{mine}:3", "herald.message_id": mine},
        ),
        consumed(
            "message.rendered", "deliver", 25, workspace="ws2", status="ERROR",
            extra={"herald.event_id": f"ws2:{theirs}:3", "herald.message_id": theirs},
        ),
        consumed("message.enqueued", "render", 25, status="ERROR"),
    ]  # fmt: skip
    dead_letters_of(pipeline).add("deliver", rendered_event(pipeline, mine))
    dead_letters_of(pipeline).add("deliver", rendered_event(pipeline, theirs, "ws2"))
    browser = signed_in(pipeline)
    events = text(browser.get("/console/events"))
    assert '<a href="/console/functions/deliver" aria-label="deliver: recent failures">' in events
    page = text(browser.get("/console/functions/deliver"))
    failures = re.search(r'<table id="failures">.*?</table>', page, re.S)
    assert failures and f"ws1:{mine}:3" in failures[0] and theirs not in failures[0]
    assert failures[0].count("<tr>") == 2  # the heading's and one failure
    assert "herald-message-enqueued process" not in page  # render's, not deliver's
    letters = re.search(r'<table id="function-dead-letters">.*?</table>', page, re.S)
    assert letters and mine in letters[0] and theirs not in letters[0]
    assert browser.get("/console/functions/nope").status == 404
    assert browser.get("/console/functions/..%2Fmessages").status == 404


def test_a_functions_failures_are_bounded_newest_first_and_hostile_text_is_text() -> None:
    pipeline = make_pipeline()
    start = now_ms() - 600_000
    traces_of(pipeline).spans += [
        consumed(
            "message.rendered", "deliver", 5, status="ERROR", at_ms=start + n,
            extra={"herald.event_id": f"event-{n}", "herald.message_id": HOSTILE},
        )
        for n in range(event_stats.MAX_FAILURES_SHOWN + 5)
    ]  # fmt: skip
    recent = traces_of(pipeline).recent(0)
    shown = recent_failures(recent, "ws1", "deliver")
    assert len(shown) == event_stats.MAX_FAILURES_SHOWN
    assert shown[0].attributes["herald.event_id"] == f"event-{event_stats.MAX_FAILURES_SHOWN + 4}"
    page = text(signed_in(pipeline).get("/console/functions/deliver"))
    assert "<script>" not in page and "&lt;script&gt;" in page


def write_spans(path: Path, spans: list[SpanRecord]) -> None:
    path.write_text("".join(span.to_json() + "\n" for span in spans))


def test_the_span_files_recent_window_reads_only_new_files_and_their_newest_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = written_by("api")
    wanted = [relayed("message.enqueued", api, 3), consumed("message.enqueued", "render", 4)]
    write_spans(tmp_path / "herald-api-1.jsonl", [api])
    write_spans(tmp_path / "herald-render-2.jsonl", wanted)
    # A line still being written is left for the next read.
    with (tmp_path / "herald-render-2.jsonl").open("a") as handle:
        handle.write(wanted[0].to_json()[:40])
    # A file untouched since before the window is not opened.
    old = tmp_path / "herald-old-3.jsonl"
    write_spans(old, [consumed("message.enqueued", "render", 4)])
    hour_ago_ns = (now_ms() - 3_600_000) * MS
    os.utime(old, ns=(hour_ago_ns - 1, hour_ago_ns - 1))
    recent = SpanFileTraces(tmp_path).recent(hour_ago_ns)
    assert [s.span_id for s in recent.spans] == [s.span_id for s in wanted]
    assert recent.services[api.span_id] == "herald-api"  # the writer of the relayed record
    assert not recent.truncated
    counts = count_web(recent, "ws1")
    assert counts.produced == {("api", "message.enqueued"): EdgeStats(1, 0, 3.0)}

    # Of a file longer than the bound, only its newest part (whole lines) is read.
    line = len(wanted[1].to_json()) + 1
    monkeypatch.setattr(spanfile, "MAX_RECENT_BYTES_PER_FILE", 2 * line + 10)
    many = [consumed("message.enqueued", "render", n) for n in range(1, 6)]
    write_spans(tmp_path / "herald-render-2.jsonl", many)
    bounded = SpanFileTraces(tmp_path).recent(hour_ago_ns)
    assert bounded.truncated
    assert [s.duration_ms for s in bounded.spans] == [4.0, 5.0]
