"""Courier's notification metrics: a template's funnel counted once per message as it
changes, read per bucket, channel and provider over a window snapped onto its grid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from herald.api.http import Api
from herald.clock import now_ms
from herald.domain.feedback import Feedback, FeedbackKind
from herald.errors import PermanentProviderError, ValidationFailed
from herald.events.registry import spec_for
from herald.resources.notification_metrics import window
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call, make_api

WS = "ws1"


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


def iso(at_ms: int) -> str:
    return dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC).isoformat()


def send(api: Api, template: str = "welcome") -> str:
    body = {"message": {"to": {"email": "ada@example.com"}, "template": template}}
    answer = call(api, "POST", "/send", body)
    assert answer.status == 202, answer.body
    return str(answer.body["requestId"])


def feedback(pipeline: Pipeline, message_id: str, kind: FeedbackKind, source_id: str) -> None:
    pipeline.feedback.record(
        Feedback(WS, message_id, kind, now_ms(), "sendgrid", source_id, channel="email")
    )


@pytest.fixture
def herald() -> tuple[Api, Pipeline]:
    api, pipeline = make_api()
    template = {"content": {"title": "Welcome", "body": "Hello"}}
    assert call(api, "PUT", "/templates/welcome", template).status < 300
    return api, pipeline


def totals(series: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, int]]:
    found: dict[tuple[str, str], dict[str, int]] = {}
    for bucket in series:
        for row in bucket["data"]:
            counts = {k: v for k, v in row.items() if k not in ("channel", "provider")}
            pair = found.setdefault((row["channel"], row["provider"]), dict.fromkeys(counts, 0))
            for metric, n in counts.items():
                pair[metric] += n
    return found


def test_each_message_counts_once_in_each_metric_it_reaches(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    first, second = send(api), send(api)
    pipeline.drain()
    pipeline.email.fail_with = PermanentProviderError("mailbox unavailable", "fake-smtp")
    send(api)
    pipeline.drain()
    receipts: list[tuple[FeedbackKind, str]] = [
        ("delivered", "d1"),
        ("delivered", "d1"),  # the same receipt twice
        ("opened", "o1"),
        ("opened", "o2"),  # a second open
    ]
    for kind, source in receipts:
        feedback(pipeline, first, kind, source)
    feedback(pipeline, second, "delivered", "d2")
    pipeline.drain()
    for event in list(pipeline.messages.outbox):  # every event delivered again
        for consumer in spec_for(event.type).consumers:
            pipeline.consumers[consumer](event)
    pipeline.drain()
    answer = call(api, "GET", "/notifications/welcome/metrics", granularity="HOUR", lookback="PT3H")
    assert answer.status == 200, answer.body
    assert totals(answer.body["series"]) == {
        ("email", "fake-smtp"): {
            "sent": 2,
            "delivered": 2,
            "opened": 1,
            "clicked": 0,
            "errors": 1,
            "undeliverable": 1,
        }
    }


def test_every_bucket_comes_back_snapped_onto_the_grid(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    send(api)
    pipeline.drain()
    answer = call(api, "GET", "/notifications/welcome/metrics", lookback="P3D")
    body = answer.body
    assert body["notificationId"] == "welcome" and body["granularity"] == "DAY"
    assert len(body["series"]) == 4  # three days back from now: four days overlapped
    assert all(b["period"].endswith("T00:00:00Z") for b in body["series"])
    assert body["start"] == body["series"][0]["period"]
    assert [len(b["data"]) for b in body["series"]] == [0, 0, 0, 1]  # today's send only
    unknown = call(api, "GET", "/notifications/nothing/metrics", lookback="P3D").body
    assert [b["data"] for b in unknown["series"]] == [[]] * 4


def test_a_week_starts_on_sunday_and_sums_its_days(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    send(api)
    pipeline.drain()
    now = now_ms()
    body = call(
        api,
        "GET",
        "/notifications/welcome/metrics",
        granularity="WEEK",
        start=iso(now - 20 * 86_400_000),
        end=iso(now + 1),
    ).body
    periods = [dt.datetime.fromisoformat(b["period"]) for b in body["series"]]
    assert all(p.weekday() == 6 and p.hour == 0 for p in periods)  # Sundays, midnight UTC
    assert sum(row["sent"] for b in body["series"] for row in b["data"]) == 1


def test_a_month_is_a_calendar_month() -> None:
    _, start, end = window(
        {"granularity": "MONTH", "start": "2026-01-31T10:00:00Z", "end": "2026-03-01T00:00:00Z"},
        0,
    )
    assert (start, end) == (ms("2026-01-01T00:00:00+00:00"), ms("2026-03-01T00:00:00+00:00"))


def test_each_granularity_spans_at_most_its_bound() -> None:
    at = ms("2026-04-08T00:00:00+00:00")
    assert window({"granularity": "HOUR", "lookback": "P7D"}, at)[1] == at - 7 * 86_400_000
    with pytest.raises(ValidationFailed) as refused:
        window({"granularity": "HOUR", "lookback": "P7DT1S"}, at)
    assert refused.value.errors[0].field == "lookback"
    assert window({"lookback": "P90D"}, at)[1] == at - 90 * 86_400_000
    with pytest.raises(ValidationFailed) as refused:
        window({"start": "2026-01-01T00:00:00Z", "end": "2026-04-01T00:00:01Z"}, at)
    assert refused.value.errors[0].field == "start"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-04-01T00:00:00Z"}, "end"),
        ({"end": "2026-04-01T00:00:00Z"}, "start"),
        ({"start": "2026-04-01T00:00:00", "end": "2026-04-02T00:00:00Z"}, "start"),
        ({"start": "2026-04-02T00:00:00Z", "end": "2026-04-01T00:00:00Z"}, "start"),
        ({"start": "2026-04-01T00:00:00Z", "end": "tomorrow"}, "end"),
        ({"lookback": "P1M"}, "lookback"),
        ({"lookback": "PT0S"}, "lookback"),
        ({"lookback": "P"}, "lookback"),
        ({"lookback": "P1DT"}, "lookback"),
        ({"lookback": "P" + "1" * 50 + "D"}, "lookback"),
        ({"granularity": "day"}, "granularity"),
    ],
)
def test_a_malformed_window_is_a_400_naming_its_field(
    herald: tuple[Api, Pipeline], query: dict[str, str], field: str
) -> None:
    api, _ = herald
    answer = call(api, "GET", "/notifications/welcome/metrics", **query)
    assert answer.status == 400
    assert [e["field"] for e in answer.body["errors"]] == [field]
