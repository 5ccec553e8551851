"""The cost model: linear above the free tier, free tier once, Pub/Sub minimums, a table that adds up."""

import dataclasses
import datetime
import math
from decimal import Decimal
from pathlib import Path

import pytest

from herald.events.registry import spec_for
from herald.topology import FUNCTIONS, FunctionSpec, Trigger
from herald_tools import cost
from herald_tools.cost import (
    HANDLERS,
    PRICES_2026,
    TEMPLATED,
    WORK,
    CostReport,
    HandlerProfile,
    LineItem,
    Work,
    default_profiles,
    estimate,
    invocations_per_email,
    render_table,
)

CATEGORIES = ("compute", "requests", "firestore", "pubsub")
PER_SEND = ("api", "relay", "render", "deliver", "webhooks")


def handler(name: str = "h", invocations: float = 1_000_000, **overrides: float) -> HandlerProfile:
    values: dict[str, float] = {
        "avg_duration_ms": 100.0,
        "memory_mib": 256.0,
        "vcpu": 0.167,
        "firestore_reads_per_invocation": 1.0,
        "firestore_writes_per_invocation": 1.0,
        "pubsub_messages_published_per_invocation": 1.0,
        "avg_message_bytes": 2000.0,
    }
    values.update(overrides)
    return HandlerProfile(name=name, invocations_per_month=invocations, **values)


def line(report: CostReport, name: str) -> LineItem:
    [found] = [item for item in report.handlers if item.name == name]
    return found


def parse_table(table: str) -> dict[str, list[str]]:
    """Rows of the rendered table keyed by their first cell (title, header and rules skipped)."""
    lines = table.splitlines()
    assert lines[2].split() == ["handler", "invocations", *CATEGORIES, "total"]
    rows: dict[str, list[str]] = {}
    for text in lines[3:]:
        if not text or set(text) <= {"-", " "}:
            continue
        name = "free tier" if text.startswith("free tier") else text.split()[0]
        rows[name] = text[len(name) :].split()
    return rows


def money(cell: str) -> Decimal:
    return Decimal(cell.replace("$", "").replace(",", ""))


# --- prices ----------------------------------------------------------------------


def test_the_prices_table_is_dated() -> None:
    assert datetime.date.fromisoformat(PRICES_2026.as_of).year == 2026
    assert PRICES_2026.as_of in render_table(estimate(default_profiles(1)))


def test_the_prices_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRICES_2026.run_vcpu_second = 0.0  # type: ignore[misc]


# --- linearity and the free tier -------------------------------------------------


@pytest.mark.parametrize("category", [*CATEGORIES, "total"])
def test_cost_grows_linearly_above_the_free_tier(category: str) -> None:
    # At 4M sends every free tier (compute, requests, reads, writes, Pub/Sub bytes) is used up.
    costs = [
        getattr(estimate(default_profiles(sends)).total, category)
        for sends in (4_000_000, 6_000_000, 8_000_000)
    ]
    step = costs[1] - costs[0]
    assert step > 0
    assert costs[2] - costs[1] == pytest.approx(step, rel=1e-9)


def test_each_handler_line_is_proportional_to_its_invocations() -> None:
    small = estimate(default_profiles(1_000_000))
    large = estimate(default_profiles(3_000_000))
    for name in PER_SEND:
        for category in CATEGORIES:
            assert getattr(line(large, name), category) == pytest.approx(
                3 * getattr(line(small, name), category), rel=1e-9
            ), (name, category)


def test_the_free_tier_is_applied_once_for_the_whole_project() -> None:
    p = PRICES_2026
    # Each handler alone fits in every free tier; the five together do not.
    per_handler = 0.6 * p.run_free_requests
    profiles = [handler(f"h{i}", per_handler) for i in range(5)]
    report = estimate(profiles)

    requests = 5 * per_handler
    expected = (requests - p.run_free_requests) / 1e6 * p.run_per_million_requests
    assert report.total.requests == pytest.approx(expected, rel=1e-9)
    assert report.free_tier.requests == pytest.approx(
        -p.run_free_requests / 1e6 * p.run_per_million_requests, rel=1e-9
    )
    free_reads = p.firestore_free_reads_per_day * p.days_per_month
    assert report.total.usage.firestore_reads == pytest.approx(requests - free_reads)
    free_writes = p.firestore_free_writes_per_day * p.days_per_month
    expected_writes = (requests - free_writes) / 1e5 * p.firestore_writes_per_100k
    expected_reads = (requests - free_reads) / 1e5 * p.firestore_reads_per_100k
    assert report.total.firestore == pytest.approx(expected_reads + expected_writes, rel=1e-9)

    # One handler alone would have been free; five would be free five times over if the
    # free tier were (wrongly) granted per handler.
    assert estimate(profiles[:1]).total.requests == 0.0
    assert report.total.requests > 0


def test_under_the_free_tier_nothing_is_billed() -> None:
    report = estimate(default_profiles(10_000))
    assert all(line(report, name).total > 0 for name in ("api", "relay", "render", "deliver"))
    # ... except the receipts' TTL deletes (render and deliver), which have no free quota.
    billed = dataclasses.asdict(report.total.usage)
    assert billed.pop("firestore_deletes") == pytest.approx(2 * 10_000)
    assert all(value == pytest.approx(0.0, abs=1e-6) for value in billed.values()), billed
    ttl = 2 * 10_000 / 1e5 * PRICES_2026.firestore_deletes_per_100k
    assert report.total.total == pytest.approx(ttl, rel=1e-9)
    assert parse_table(render_table(report))["total"][-1] == "$0.00"


def test_ttl_deletes_get_no_free_quota() -> None:
    p = PRICES_2026
    report = estimate(
        [handler(invocations=1000, firestore_ttl_deletes_per_invocation=1.0)], prices=p
    )
    assert report.total.usage.firestore_deletes == 1000
    explicit = estimate([handler(invocations=1000, firestore_deletes_per_invocation=1.0)])
    assert explicit.total.usage.firestore_deletes == 0


def test_zero_sends_cost_only_the_schedule_and_the_free_tier_covers_it() -> None:
    report = estimate(default_profiles(0))
    assert all(item.total == 0.0 for item in report.handlers if item.name != "sweep")
    assert line(report, "sweep").compute > 0  # its runs, on their schedule
    assert report.total.total == pytest.approx(0.0, abs=1e-9)
    assert parse_table(render_table(report))["total"][-1] == "$0.00"


# --- compute ----------------------------------------------------------------------


def test_compute_is_billed_in_100_ms_steps() -> None:
    p = PRICES_2026
    report = estimate([handler(avg_duration_ms=30.0, memory_mib=1024.0, vcpu=1.0)])
    usage = report.handlers[0].usage
    assert usage.vcpu_seconds == pytest.approx(1_000_000 * 0.1)
    assert usage.gib_seconds == pytest.approx(1_000_000 * 0.1)
    assert report.handlers[0].compute == pytest.approx(
        100_000 * (p.run_vcpu_second + p.run_gib_second)
    )
    exact = dataclasses.replace(p, run_billing_increment_ms=0.0)
    assert estimate([handler(avg_duration_ms=30.0, vcpu=1.0)], exact).handlers[
        0
    ].usage.vcpu_seconds == pytest.approx(30_000)


# --- Pub/Sub ----------------------------------------------------------------------


def test_pubsub_bills_at_least_1000_bytes_per_message() -> None:
    p = PRICES_2026
    small = estimate([handler(invocations=1_000_000, avg_message_bytes=100.0)]).handlers[0]
    assert small.usage.pubsub_bytes == 1_000_000 * p.pubsub_min_billable_bytes
    assert small.pubsub == pytest.approx(1e9 / 2**40 * p.pubsub_per_tib, rel=1e-12)

    large = estimate([handler(invocations=1_000_000, avg_message_bytes=3000.0)]).handlers[0]
    assert large.usage.pubsub_bytes == 3_000_000_000


def test_pubsub_counts_deliveries_as_well_as_publishes() -> None:
    published = handler("pub", pubsub_messages_published_per_invocation=1.0)
    both = handler(
        "both",
        pubsub_messages_published_per_invocation=1.0,
        pubsub_messages_received_per_invocation=2.0,
    )
    report = estimate([published, both])
    assert line(report, "both").pubsub == pytest.approx(3 * line(report, "pub").pubsub)


# --- Herald's profiles ------------------------------------------------------------


def templated(name: str) -> Work:
    return TEMPLATED.get(name, Work())


def test_a_share_of_templated_sends_adds_their_reads_and_counter_writes() -> None:
    def per_send(share: float) -> dict[str, tuple[float, float]]:
        profiles = default_profiles(1000, templated_share=share)
        return {
            p.name: (
                round(p.firestore_reads_per_invocation * p.invocations_per_month / 1000, 9),
                round(p.firestore_writes_per_invocation * p.invocations_per_month / 1000, 9),
            )
            for p in profiles
            if p.name in WORK and p.name != "sweep"
        }

    untemplated, half = per_send(0.0), per_send(0.5)
    assert untemplated == {n: (WORK[n].reads, WORK[n].writes) for n in untemplated}
    assert half["deliver"] == (WORK["deliver"].reads, WORK["deliver"].writes + 0.5)
    assert half["api"] == (WORK["api"].reads + 0.5, WORK["api"].writes)
    for share in (-0.1, 1.1):
        with pytest.raises(ValueError, match="templated_share"):
            default_profiles(1000, templated_share=share)


def test_default_profiles_follow_one_send_through_the_pipeline() -> None:
    profiles = {p.name: p for p in default_profiles(1000)}
    assert tuple(profiles) == HANDLERS == tuple(f.name for f in FUNCTIONS)
    assert {name: p.invocations_per_month for name, p in profiles.items() if name in PER_SEND} == {
        "api": 1000,
        "relay": 3000,  # each outbox record: enqueued, rendered, sent (not routed, history)
        "render": 1000,
        "deliver": 1000,
        "webhooks": 0,  # no workspace with endpoints: its subscriptions' filter keeps all
    }
    assert profiles["sweep"].invocations_per_month == pytest.approx(60 * 24 * 365 / 12)
    per_send = {
        name: p.firestore_writes_per_invocation * p.invocations_per_month / 1000
        for name, p in profiles.items()
        if name in WORK and name != "sweep"
    }
    # Each send names a template by default: deliver writes its funnel counter besides.
    assert per_send == pytest.approx({n: WORK[n].writes + templated(n).writes for n in per_send})
    published = sum(
        p.pubsub_messages_published_per_invocation * p.invocations_per_month
        for p in profiles.values()
    )
    received = sum(
        p.pubsub_messages_received_per_invocation * p.invocations_per_month
        for p in profiles.values()
    )
    # message.routed is history only: nothing publishes it, nothing receives it.
    assert (published, received) == pytest.approx((3000, 2000))
    assert (profiles["api"].memory_mib, profiles["api"].vcpu) == (512, 1.0)
    assert profiles["deliver"].avg_duration_ms == 120


def test_invocations_per_email_come_from_the_topology_and_the_registry() -> None:
    assert invocations_per_email() == {
        "api": 1,
        "relay": 3,  # message.routed is kept as history only, out of the trigger's path
        "render": 1,
        "deliver": 1,
        "webhooks": 0,
        "automate": 0,
        "digest": 0,
        "sweep": 0,
    }
    assert sum(invocations_per_email().values()) <= 8
    # The webhooks observer gets enqueued and sent, for the workspaces with endpoints.
    assert invocations_per_email(endpoint_share=0.5)["webhooks"] == 1.0


def test_a_new_observer_is_priced_without_an_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    audit = FunctionSpec("audit", Trigger.PUBSUB, "keeps an audit trail")
    spec = spec_for("message.sent")
    watched = dataclasses.replace(spec, consumers=(*spec.consumers, "audit"))
    monkeypatch.setattr(cost, "FUNCTIONS", (*FUNCTIONS, audit))
    monkeypatch.setattr(cost, "HANDLERS", (*HANDLERS, "audit"))
    monkeypatch.setattr(
        cost, "spec_for", lambda name: watched if name == "message.sent" else spec_for(name)
    )
    assert invocations_per_email()["audit"] == 1
    [priced] = [p for p in default_profiles(1000) if p.name == "audit"]
    assert priced.invocations_per_month == 1000
    assert priced.firestore_writes_per_invocation == cost.OBSERVER_WORK.writes


def test_measured_durations_override_the_defaults() -> None:
    profiles = {p.name: p for p in default_profiles(1000, durations_ms={"deliver": 850.0})}
    assert profiles["deliver"].avg_duration_ms == 850.0
    assert profiles["api"].avg_duration_ms == 40.0
    slow = estimate(default_profiles(1_000_000, durations_ms={"deliver": 850.0}))
    fast = estimate(default_profiles(1_000_000))
    assert line(slow, "deliver").compute > line(fast, "deliver").compute
    with pytest.raises(ValueError, match="unknown"):
        default_profiles(1000, durations_ms={"sender": 10.0})


def test_bad_profiles_are_rejected() -> None:
    with pytest.raises(ValueError):
        handler(invocations=-1)
    with pytest.raises(ValueError):
        handler(avg_duration_ms=math.nan)
    with pytest.raises(ValueError, match="unique"):
        estimate([handler("a"), handler("a")])
    with pytest.raises(ValueError):
        default_profiles(-5)


# --- the table --------------------------------------------------------------------


@pytest.mark.parametrize("sends", [0, 1, 12_345, 1_000_000, 7_654_321])
def test_the_table_lists_every_handler_and_adds_up(sends: int) -> None:
    report = estimate(default_profiles(sends))
    rows = parse_table(render_table(report))
    assert list(rows) == [*HANDLERS, "free tier", "total"]

    total = rows.pop("total")
    money_rows = {name: [money(c) for c in cells if "$" in c] for name, cells in rows.items()}
    total_money = [money(c) for c in total if "$" in c]
    assert all(len(cells) == len(CATEGORIES) + 1 for cells in money_rows.values())
    for column in range(len(CATEGORIES) + 1):
        assert sum(cells[column] for cells in money_rows.values()) == total_money[column]
    for cells in [*money_rows.values(), total_money]:
        assert sum(cells[:-1]) == cells[-1]
    assert float(total_money[-1]) == pytest.approx(report.total.total, abs=0.02)
    assert all(money(c).as_tuple().exponent == -2 for c in total if "$" in c)


def test_the_cost_command_prints_every_handler_and_uses_measured_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from herald.observability.spanfile import SpanRecord
    from herald_tools.cli import main

    span = SpanRecord(
        trace_id="a" * 32,
        span_id="b" * 16,
        parent_span_id=None,
        name="herald-message-rendered process",
        kind="CONSUMER",
        service="herald-deliver",
        start_ns=0,
        end_ns=900_000_000,
        status="OK",
    )
    (tmp_path / "herald-deliver-1.jsonl").write_text(span.to_json() + "\n")
    assert main(["cost", "--sends-per-month", "1000000"]) == 0
    default = capsys.readouterr().out
    assert main(["cost", "--sends-per-month", "1000000", "--trace-dir", str(tmp_path)]) == 0
    measured = capsys.readouterr().out
    assert "deliver 900 ms" in measured
    for handler in (*HANDLERS, "total"):
        assert handler in default
    assert "Per million notifications" in default and "Knock" in default

    def deliver_compute(table: str) -> str:
        return next(line for line in table.splitlines() if line.startswith("deliver")).split()[2]

    assert deliver_compute(measured) != deliver_compute(default)
