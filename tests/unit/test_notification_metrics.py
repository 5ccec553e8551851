"""Courier's notification metrics: a template's funnel counted once per message as it
changes, read per bucket, channel and provider over a window snapped onto its grid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from herald.api.http import Api
from herald.clock import now_ms
from herald.domain.feedback import Feedback, FeedbackKind
from herald.domain.message import ChannelOutcome, DeliveryResult
from herald.errors import PermanentProviderError, ValidationFailed
from herald.events.registry import spec_for
from herald.resources.notification_metrics import NotificationMetrics, window
from herald.store.memory import InMemoryMessages
from herald.store.template_metrics import Counted, increments
from tests.contract.store import create, new_message, sent_through
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


def funnel_of(metrics: NotificationMetrics, granularity: str, start: str, end: str) -> list[int]:
    """Each bucket's messages sent, oldest first."""
    query = {"granularity": granularity, "start": start, "end": end}
    series = metrics.funnel(WS, "welcome", query)["series"]
    return [sum(row["sent"] for row in bucket["data"]) for bucket in series]


def sent_at(messages: InMemoryMessages, at: str) -> None:
    """A message of "welcome" sent at ``at``, its settling event delivered twice."""
    message = new_message(WS).model_copy(update={"template": "welcome"})
    create(messages, message)
    result = DeliveryResult(
        channel="email", provider="smtp", outcome=ChannelOutcome.SENT, at_ms=ms(at)
    )
    for _ in range(2):
        messages.transition(WS, message.id, "deliver", "settle", sent_through([result]))


def test_weeks_and_months_are_summed_from_days_counting_each_message_once() -> None:
    messages = InMemoryMessages()
    metrics = NotificationMetrics(messages.template_metrics, clock=lambda: 0)
    for at in (
        "2026-01-31T23:30:00+00:00",
        "2026-02-01T00:30:00+00:00",
        "2026-02-09T12:00:00+00:00",
    ):
        sent_at(messages, at)
    # 2026-02-01 is a Sunday: Saturday's send is the week before's.
    weeks = funnel_of(metrics, "WEEK", "2026-01-25T00:00:00Z", "2026-02-15T00:00:00Z")
    assert weeks == [1, 1, 1]
    months = funnel_of(metrics, "MONTH", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")
    assert months == [1, 2]
    days = funnel_of(metrics, "DAY", "2026-01-31T00:00:00Z", "2026-02-02T00:00:00Z")
    assert days == [1, 1]


def test_a_window_of_more_counters_than_a_read_takes_is_a_400_naming_it() -> None:
    messages = InMemoryMessages()
    now = ms("2026-02-03T12:00:00+00:00")
    metrics = NotificationMetrics(messages.template_metrics, clock=lambda: now)
    for at in ("2026-02-01T12:00:00+00:00", "2026-02-02T12:00:00+00:00"):
        sent_at(messages, at)  # a counter each day
    messages.template_metrics.most = 2
    assert funnel_of(metrics, "DAY", "2026-02-01T00:00:00Z", "2026-02-04T00:00:00Z") == [1, 1, 0]
    messages.template_metrics.most = 1
    for query, field in (
        ({"start": "2026-02-01T00:00:00Z", "end": "2026-02-04T00:00:00Z"}, "start"),
        ({"lookback": "P3D"}, "lookback"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            metrics.funnel(WS, "welcome", query)
        assert refused.value.errors[0].field == field


def test_week_and_month_windows_are_bounded_by_the_days_a_read_takes() -> None:
    at = ms("2026-07-01T00:00:00+00:00")
    assert window({"granularity": "WEEK", "lookback": "P26W"}, at)[0] == "WEEK"
    assert window({"granularity": "MONTH", "lookback": "P186D"}, at)[0] == "MONTH"
    for granularity, lookback in (("WEEK", "P182DT1S"), ("MONTH", "P186DT1S")):
        with pytest.raises(ValidationFailed) as refused:
            window({"granularity": granularity, "lookback": lookback}, at)
        assert refused.value.errors[0].field == "lookback"
        assert refused.value.errors[0].reason.endswith("choose a shorter window")


def test_one_counted_change_is_one_counter_write_holding_its_day_and_hour() -> None:
    at = ms("2026-02-01T05:30:00+00:00")
    changes = increments("welcome", "m1", [Counted("sent", "email", "smtp", at)])
    assert [(key.day_ms, key.channel, key.provider) for key in changes] == [
        (ms("2026-02-01T00:00:00+00:00"), "email", "smtp")
    ]
    assert list(changes.values()) == [{("sent",): 1, ("hours", "h05", "sent"): 1}]
    # A failure on one provider and a send on another: a counter each.
    both = [Counted("errors", "email", "first", at), Counted("sent", "email", "second", at)]
    assert len(increments("welcome", "m1", both)) == 2
