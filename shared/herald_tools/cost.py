"""What Herald costs per month, handler by handler, at Google's list prices.

A back-of-the-envelope model, not a bill: it prices what each handler does per
invocation (compute time, requests, Firestore operations, Pub/Sub bytes) and
applies the free tiers once for the whole project. Left out: Cloud Run cold
starts and idle instances, network egress, Firestore storage and index-entry
reads, Pub/Sub retries and dead-lettering, Eventarc, logging, tracing and
monitoring ingestion, and any committed-use or negotiated discount.

    report = estimate(default_profiles(sends_per_month=1_000_000))
    print(render_table(report))
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from herald.events.registry import spec_for, subscription_filter
from herald.topology import FUNCTIONS, Trigger

__all__ = [
    "DELIVERED_EMAIL",
    "HANDLERS",
    "HOSTED_PRICES",
    "PRICES_2026",
    "TEMPLATED",
    "CostReport",
    "HandlerProfile",
    "LineItem",
    "Prices",
    "Usage",
    "default_profiles",
    "estimate",
    "invocations_per_email",
    "render_comparison",
    "render_table",
]

GIB = 2**30
TIB = 2**40


@dataclass(frozen=True, kw_only=True)
class Prices:
    """List prices in USD, and the free tiers, as of one date.

    Free tiers are separate fields because they are granted once (per billing
    account for Cloud Run, per project's (default) database for Firestore, per
    billing account for Pub/Sub), never per handler.
    """

    as_of: str  # ISO date the prices were read
    # Cloud Run functions (gen2 = Cloud Run), request-based billing, Tier 1 region.
    run_vcpu_second: float
    run_gib_second: float
    run_per_million_requests: float
    run_billing_increment_ms: float  # billable time is rounded up to this; 0 turns it off
    run_free_vcpu_seconds: float  # per month
    run_free_gib_seconds: float  # per month
    run_free_requests: float  # per month
    # Pub/Sub throughput: bytes published plus bytes delivered (push, pull).
    pubsub_per_tib: float
    pubsub_min_billable_bytes: int  # per publish or push request
    pubsub_free_bytes: float  # per month
    # Firestore Standard edition, a single-region location.
    firestore_reads_per_100k: float
    firestore_writes_per_100k: float
    firestore_deletes_per_100k: float
    firestore_free_reads_per_day: float
    firestore_free_writes_per_day: float
    firestore_free_deletes_per_day: float  # explicit deletes only: TTL deletes get no free quota
    days_per_month: float  # Firestore's free quota is daily; traffic is assumed even


# Published list prices, read 2026-11-26 from:
#   "Cloud Run pricing" (Cloud Run functions gen2 are billed as Cloud Run services):
#     Tier 1, request-based billing (CPU only allocated during request processing):
#     $0.000024 / vCPU-second, $0.0000025 / GiB-second, $0.40 / million requests,
#     rounded up to the nearest 100 ms; free per month (per billing account):
#     180,000 vCPU-seconds, 360,000 GiB-seconds, 2 million requests.
#   "Pub/Sub pricing": throughput (publish + delivery) $40 / TiB, first 10 GiB per
#     month free, a minimum of 1000 bytes per publish, push or pull request.
#   "Firestore pricing" (Standard edition), regional location such as us-central1:
#     $0.03 / 100k document reads, $0.09 / 100k writes, $0.01 / 100k deletes; free per
#     day for the (default) database: 50,000 reads, 20,000 writes, 20,000 deletes
#     (TTL deletes are excluded from the free quota).
PRICES_2026 = Prices(
    as_of="2026-11-26",
    run_vcpu_second=0.000024,
    run_gib_second=0.0000025,
    run_per_million_requests=0.40,
    run_billing_increment_ms=100.0,
    run_free_vcpu_seconds=180_000.0,
    run_free_gib_seconds=360_000.0,
    run_free_requests=2_000_000.0,
    pubsub_per_tib=40.0,
    pubsub_min_billable_bytes=1000,
    pubsub_free_bytes=10.0 * GIB,
    firestore_reads_per_100k=0.03,
    firestore_writes_per_100k=0.09,
    firestore_deletes_per_100k=0.01,
    firestore_free_reads_per_day=50_000.0,
    firestore_free_writes_per_day=20_000.0,
    firestore_free_deletes_per_day=20_000.0,
    days_per_month=365 / 12,
)


@dataclass(frozen=True)
class HandlerProfile:
    """What one handler does per invocation, and how often it runs in a month.

    Pub/Sub bytes are counted for messages published *and* received (push
    deliveries are throughput too), each at least ``pubsub_min_billable_bytes``
    because Herald publishes and is pushed one message per request.
    """

    name: str
    invocations_per_month: float
    avg_duration_ms: float
    memory_mib: float
    vcpu: float
    firestore_reads_per_invocation: float
    firestore_writes_per_invocation: float
    pubsub_messages_published_per_invocation: float
    avg_message_bytes: float
    pubsub_messages_received_per_invocation: float = 0.0
    firestore_deletes_per_invocation: float = 0.0
    # Documents that expire through a TTL policy: billed as deletes, no free quota.
    firestore_ttl_deletes_per_invocation: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float | int) and (value < 0 or not math.isfinite(value)):
                raise ValueError(f"{self.name}: {f.name} must be finite and >= 0, got {value}")


@dataclass(frozen=True)
class Usage:
    """Billable quantities for a month."""

    vcpu_seconds: float = 0.0
    gib_seconds: float = 0.0
    requests: float = 0.0
    firestore_reads: float = 0.0
    firestore_writes: float = 0.0
    firestore_deletes: float = 0.0  # explicit and TTL deletes together
    pubsub_bytes: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class LineItem:
    """Dollars per month for one line of the report (unrounded)."""

    name: str
    usage: Usage
    compute: float  # vCPU-seconds and GiB-seconds
    requests: float
    firestore: float
    pubsub: float

    @property
    def total(self) -> float:
        return self.compute + self.requests + self.firestore + self.pubsub


@dataclass(frozen=True)
class CostReport:
    """Per-handler costs at list price, the free tier as one credit, and the total.

    ``total`` is the sum of ``handlers`` and ``free_tier``; its ``usage`` is what
    is billed after the free tier.
    """

    prices: Prices
    handlers: tuple[LineItem, ...]
    free_tier: LineItem  # negative amounts; its usage is the free quantity used
    total: LineItem

    @property
    def lines(self) -> tuple[LineItem, ...]:
        return (*self.handlers, self.free_tier)


def _billable_seconds(duration_ms: float, increment_ms: float) -> float:
    if duration_ms <= 0:
        return 0.0
    if increment_ms > 0:
        duration_ms = math.ceil(duration_ms / increment_ms) * increment_ms
    return duration_ms / 1000


def _usage(profile: HandlerProfile, prices: Prices) -> Usage:
    n = profile.invocations_per_month
    seconds = _billable_seconds(profile.avg_duration_ms, prices.run_billing_increment_ms)
    messages = (
        profile.pubsub_messages_published_per_invocation
        + profile.pubsub_messages_received_per_invocation
    )
    return Usage(
        vcpu_seconds=n * seconds * profile.vcpu,
        gib_seconds=n * seconds * profile.memory_mib / 1024,
        requests=n,
        firestore_reads=n * profile.firestore_reads_per_invocation,
        firestore_writes=n * profile.firestore_writes_per_invocation,
        firestore_deletes=n
        * (profile.firestore_deletes_per_invocation + profile.firestore_ttl_deletes_per_invocation),
        pubsub_bytes=n
        * messages
        * max(profile.avg_message_bytes, float(prices.pubsub_min_billable_bytes)),
    )


def _priced(name: str, usage: Usage, prices: Prices, sign: float = 1.0) -> LineItem:
    return LineItem(
        name=name,
        usage=usage,
        compute=sign
        * (usage.vcpu_seconds * prices.run_vcpu_second + usage.gib_seconds * prices.run_gib_second),
        requests=sign * usage.requests / 1e6 * prices.run_per_million_requests,
        firestore=sign
        * (
            usage.firestore_reads / 1e5 * prices.firestore_reads_per_100k
            + usage.firestore_writes / 1e5 * prices.firestore_writes_per_100k
            + usage.firestore_deletes / 1e5 * prices.firestore_deletes_per_100k
        ),
        pubsub=sign * usage.pubsub_bytes / TIB * prices.pubsub_per_tib,
    )


def estimate(profiles: Iterable[HandlerProfile], prices: Prices = PRICES_2026) -> CostReport:
    """Price each handler at list price, then take the project's free tier off once."""
    profiles = list(profiles)
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise ValueError(f"handler names must be unique: {names}")
    handlers = tuple(_priced(p.name, _usage(p, prices), prices) for p in profiles)

    gross = sum((line.usage for line in handlers), Usage())
    # Only explicit deletes can use the free delete quota; TTL deletes cannot.
    explicit_deletes = sum(
        p.invocations_per_month * p.firestore_deletes_per_invocation for p in profiles
    )
    days = prices.days_per_month
    free = Usage(
        vcpu_seconds=min(gross.vcpu_seconds, prices.run_free_vcpu_seconds),
        gib_seconds=min(gross.gib_seconds, prices.run_free_gib_seconds),
        requests=min(gross.requests, prices.run_free_requests),
        firestore_reads=min(gross.firestore_reads, prices.firestore_free_reads_per_day * days),
        firestore_writes=min(gross.firestore_writes, prices.firestore_free_writes_per_day * days),
        firestore_deletes=min(explicit_deletes, prices.firestore_free_deletes_per_day * days),
        pubsub_bytes=min(gross.pubsub_bytes, prices.pubsub_free_bytes),
    )
    free_tier = _priced("free tier", free, prices, sign=-1.0)

    lines = (*handlers, free_tier)
    total = LineItem(
        name="total",
        usage=gross - free,
        compute=math.fsum(line.compute for line in lines),
        requests=math.fsum(line.requests for line in lines),
        firestore=math.fsum(line.firestore for line in lines),
        pubsub=math.fsum(line.pubsub for line in lines),
    )
    return CostReport(prices=prices, handlers=handlers, free_tier=free_tier, total=total)


# --- Herald's pipeline ------------------------------------------------------------

# The events one email makes on its way to SENT: the topology's trigger (on each outbox
# record, i.e. each event something consumes) and the registry's consumers turn them into
# invocations.
DELIVERED_EMAIL: tuple[str, ...] = (
    "message.enqueued",
    "message.routed",
    "message.rendered",
    "message.sent",
)
HANDLERS: tuple[str, ...] = tuple(f.name for f in FUNCTIONS)
SCHEDULE_RUNS_PER_DAY = 24 * 60  # Cloud Scheduler, every minute


@dataclass(frozen=True)
class Work:
    """What a handler does besides being invoked: for one delivered email, or (a scheduled
    handler) for one run."""

    reads: float = 0.0
    writes: float = 0.0  # deletes made by the handler included
    ttl_deletes: float = 0.0  # receipts that expire
    duration_ms: float = 30.0
    memory_mib: float = 256.0
    vcpu: float = 0.167


# Firestore operations per delivered email, as tests/integration/test_firestore_operations.py
# counts them on the emulator (a warm instance: the api key and the workspace's settings
# already read); durations are defaults, replaced by measured ones (``--trace-dir``).
WORK: dict[str, Work] = {
    # The message and its outbox record, in one commit (a request of one message needs no
    # record of its own; the message is listed from its first transition).
    "api": Work(writes=2, duration_ms=40.0, memory_mib=512.0, vcpu=1.0),
    # The published mark of each outbox record (message.routed is kept apart, as history).
    "relay": Work(writes=3),
    # In its transaction (the message read once, there): the receipt, the message and its
    # summary (none yet), then its first event, which a summary starts from; the message,
    # two outbox records, the receipt and the summary written.
    "render": Work(reads=4, writes=5, ttl_deletes=1, duration_ms=40.0),
    # The message, the suppression list, a re-read before the provider call, then the final
    # transaction's three (the receipt, the message, its summary); the attempt written three
    # times (created with its lease, DISPATCHING, DONE), then the message, its outbox
    # record, the receipt and the summary.
    "deliver": Work(reads=6, writes=7, ttl_deletes=1, duration_ms=120.0),
    # One run: its four scans (unpublished records, stuck messages, digest items no record
    # has taken, due timers) when nothing is found, each answering one read.
    "sweep": Work(reads=4, duration_ms=200.0),
}
# What a templated email costs besides (``default_profiles``' ``templated_share``), counted
# as WORK is: the api's and render's reads of the template, and deliver's write of the
# template's funnel counter (its day's, holding its hour: ``herald.store.template_metrics``).
TEMPLATED: dict[str, Work] = {
    "api": Work(reads=1),
    "render": Work(reads=1),
    "deliver": Work(writes=1),
}
# A consumer without an entry (a new observer), per invocation: it reads the message and
# its receipt and writes both, as render and deliver do at the least.
OBSERVER_WORK = Work(reads=2, writes=2, ttl_deletes=1)


def invocations_per_email(endpoint_share: float = 0.0) -> dict[str, float]:
    """Each function's invocations for one delivered email, from the topology's triggers
    and the registry's consumers.

    ``endpoint_share`` is the share of emails whose workspace has webhook endpoints: a
    consumer's subscription filter keeps the others from it. A scheduled function runs on
    its schedule, not per email (0 here).
    """
    per_email: dict[str, float] = {}
    for function in FUNCTIONS:
        if function.trigger == Trigger.HTTP:
            per_email[function.name] = 1.0  # the send
        elif function.trigger == Trigger.FIRESTORE:
            # Each outbox record: an event kept as history only is stored apart.
            per_email[function.name] = float(published_per_email())
        elif function.trigger == Trigger.PUBSUB:
            pushed = sum(1 for e in DELIVERED_EMAIL if function.name in spec_for(e).consumers)
            admitted = endpoint_share if subscription_filter(function.name) else 1.0
            per_email[function.name] = pushed * admitted
        else:
            per_email[function.name] = 0.0
    return per_email


def published_per_email() -> int:
    """Pub/Sub messages the relay publishes for one email: the events something consumes."""
    return sum(1 for e in DELIVERED_EMAIL if spec_for(e).consumers)


def _with_templated(work: Work, templated: Work | None, share: float) -> Work:
    if templated is None:
        return work
    return dataclasses.replace(
        work,
        reads=work.reads + share * templated.reads,
        writes=work.writes + share * templated.writes,
    )


def default_profiles(
    sends_per_month: int,
    *,
    durations_ms: Mapping[str, float] | None = None,
    message_bytes: float = 800.0,
    endpoint_share: float = 0.0,
    templated_share: float = 1.0,
) -> list[HandlerProfile]:
    """Profiles of every function for ``sends_per_month`` single-email sends.

    Invocations come from ``invocations_per_email`` (the topology and the registry),
    Firestore operations from ``WORK`` (or ``OBSERVER_WORK`` for a consumer without an
    entry), with ``TEMPLATED`` added for the share of sends that name a stored template
    (all by default, as Courier's sends do). ``durations_ms`` (e.g. measured means keyed by
    function) overrides the defaults.
    """
    if sends_per_month < 0:
        raise ValueError(f"sends_per_month must be >= 0, got {sends_per_month}")
    if not 0.0 <= templated_share <= 1.0:
        raise ValueError(f"templated_share must be within 0 and 1, got {templated_share}")
    if durations_ms is not None and (unknown := sorted(set(durations_ms) - set(HANDLERS))):
        raise ValueError(f"unknown handlers in durations_ms: {unknown}; known: {HANDLERS}")
    durations = dict(durations_ms or {})
    n = float(sends_per_month)
    profiles = []
    for name, per_email in invocations_per_email(endpoint_share).items():
        trigger = next(f.trigger for f in FUNCTIONS if f.name == name)
        if trigger == Trigger.SCHEDULE:
            invocations = SCHEDULE_RUNS_PER_DAY * PRICES_2026.days_per_month
            work, per = WORK.get(name, Work()), 1.0  # per run
        elif name in WORK:
            invocations, per = n * per_email, per_email
            work = _with_templated(WORK[name], TEMPLATED.get(name), templated_share)
        else:
            invocations, work, per = n * per_email, OBSERVER_WORK, 1.0
        # WORK is per email: spread over the invocations that do it.
        each = 1.0 / per if per else 0.0
        profiles.append(
            HandlerProfile(
                name=name,
                invocations_per_month=invocations,
                avg_duration_ms=durations.get(name, work.duration_ms),
                memory_mib=work.memory_mib,
                vcpu=work.vcpu,
                firestore_reads_per_invocation=work.reads * each,
                firestore_writes_per_invocation=work.writes * each,
                firestore_ttl_deletes_per_invocation=work.ttl_deletes * each,
                # The relay publishes each record it is invoked for.
                pubsub_messages_published_per_invocation=(
                    1.0 if trigger == Trigger.FIRESTORE else 0.0
                ),
                pubsub_messages_received_per_invocation=1.0 if trigger == Trigger.PUBSUB else 0.0,
                avg_message_bytes=message_bytes,
            )
        )
    return profiles


# --- What the hosted services charge ----------------------------------------------


@dataclass(frozen=True)
class HostedPrice:
    """A hosted notification service's list price, as read on a date from a source."""

    service: str
    plan: str
    per_million: float | None  # USD per million notifications; None: not published
    basis: str
    source: str
    read_on: str


HOSTED_PRICES: tuple[HostedPrice, ...] = (
    HostedPrice(
        "Knock",
        "Starter",
        250.0 / 50_000 * 1e6,
        "$250 a month for 50,000 messages; more is Enterprise, priced on request",
        "hivebook.wiki/wiki/knock-notification-infrastructure-for-in-app-email-sms-push-chat"
        " (a summary of knock.app/pricing)",
        "2026-12-05",
    ),
    HostedPrice(
        "Novu Cloud",
        "Pro, Team",
        1.20 * 1000,
        "$1.20 per 1,000 workflow runs beyond the plan's (30,000 Pro, 250,000 Team)",
        "github.com/api-evangelist/novu rate-limits/novu-rate-limits.yml (from novu.co/pricing)",
        "2026-12-05",
    ),
    HostedPrice(
        "Courier",
        "Business",
        None,
        "not found in the sources reachable from here: see courier.com/pricing",
        "courier.com/pricing (not read)",
        "2026-12-05",
    ),
)


def per_million(report: CostReport, sends_per_month: int) -> float:
    """What a million sends cost at this volume, the free tier spread over them."""
    return report.total.total / sends_per_month * 1e6 if sends_per_month else 0.0


def render_comparison(report: CostReport, sends_per_month: int) -> str:
    """Herald's cost per million sends beside the hosted services' list prices."""
    rows = [
        (
            "Herald (this estimate)",
            f"${per_million(report, sends_per_month):,.2f}",
            f"Google Cloud list prices of {report.prices.as_of}, at"
            f" {sends_per_month:,} sends a month",
        )
    ]
    for price in HOSTED_PRICES:
        cost = f"${price.per_million:,.0f}" if price.per_million is not None else "?"
        rows.append(
            (
                f"{price.service} ({price.plan})",
                cost,
                f"{price.basis}; {price.source}, read {price.read_on}",
            )
        )
    width = [max(len(r[k]) for r in rows) for k in range(2)]
    lines = ["Per million notifications, USD", ""]
    lines += [f"{a.ljust(width[0])}  {b.rjust(width[1])}  {c}" for a, b, c in rows]
    return "\n".join(lines) + "\n"


# --- Rendering --------------------------------------------------------------------

_CENT = Decimal("0.01")
_COLUMNS = ("compute", "requests", "firestore", "pubsub")


def _apportion(values: Sequence[float]) -> list[Decimal]:
    """Round to cents so the rounded values add up to the rounded exact sum."""
    exact = [Decimal(repr(v)) for v in values]
    target = sum(exact, Decimal(0)).quantize(_CENT, rounding=ROUND_HALF_UP)
    rounded = [v.quantize(_CENT, rounding=ROUND_FLOOR) for v in exact]
    cents = int((target - sum(rounded, Decimal(0))) / _CENT)
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - rounded[i], reverse=True)
    for i in by_remainder[:cents]:
        rounded[i] += _CENT
    return rounded


def _dollars(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def render_table(report: CostReport) -> str:
    """A plain-text table, dollars to the cent.

    Cells are rounded so that every column adds up to its total row and every
    row to its total column; the grand total is within a cent or so of
    ``report.total.total``.
    """
    lines = report.lines
    columns = [_apportion([getattr(line, c) for line in lines]) for c in _COLUMNS]
    rows: list[list[str]] = []
    for i, line in enumerate(lines):
        cells = [column[i] for column in columns]
        calls = "" if line is report.free_tier else f"{line.usage.requests:,.0f}"
        rows.append([line.name, calls, *map(_dollars, cells), _dollars(sum(cells, Decimal(0)))])
    sums = [sum(column, Decimal(0)) for column in columns]
    total_calls = f"{sum(line.usage.requests for line in report.handlers):,.0f}"
    total_row = ["total", total_calls, *map(_dollars, sums), _dollars(sum(sums, Decimal(0)))]

    header = ["handler", "invocations", *_COLUMNS, "total"]
    widths = [max(len(row[k]) for row in (header, *rows, total_row)) for k in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    title = f"Monthly cost estimate, USD list prices as of {report.prices.as_of}"
    return "\n".join([title, "", fmt(header), rule, *map(fmt, rows), rule, fmt(total_row)]) + "\n"
