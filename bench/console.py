"""The console's pages with 10,000 messages in a workspace, beside the list API's page.

    .venv/bin/python -m bench.console                 # 10,000 messages, 20 loads a page
    .venv/bin/python -m bench.console --messages 2000 --loads 10

Starts the Firestore emulator (and Pub/Sub's, unused) with no function behind them, so
what is seeded stays as written; builds the api in this process by the composition root
over Firestore, as the api function does; seeds the messages in one workspace through the
message repository, each routed once so the list shows it (one in ten tagged, a tenant's
one in four). Then loads each console page ``--loads`` times, in turn with its floor:
``GET /messages?limit=50`` with the page's own filters (the list API's page of the same
size and query, the same reader), or for the message page what an API client reads of
the same message (``GET /messages/{id}``, its ``/history`` and ``/output``); the pages
that are no message list beside the unfiltered list. It prints each page's median and
95th percentile beside the floor's, their ratio, and whether the median is under the
300 ms a page is given, and names a page over 1.5 times its floor; it exits 1 when a query
has no index. Loads are timed in process, request to response, for the page and
its floor alike: the HTTP server's share is the same for both and left out. Beside
them, the page's own ``Server-Timing`` (its reads and its template's rendering, medians):
where a page is slower than its floor, which of the two it is.

Every list query the pages sent is checked against the declared composite indexes
(``herald.store.indexes``): the emulator serves any query, Firestore only an indexed one,
so a query without its index would be a scan here and an error there.

The dead-letter and function pages are not loaded: they pull the Pub/Sub subscriptions,
which takes a pull deadline by design.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.console.event_stats import p95
from herald.domain.message import MessageState, RequestRecord
from herald.domain.status import MessageStatus
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageRouted
from herald.ids import hash_api_key
from herald.pipeline.accepting import enqueued_event
from herald.store.base import SummaryQuery, Transition
from herald.store.firestore import FirestoreSummaries
from herald.store.indexes import COMPOSITE_INDEXES, MAX_LIST_FILTERS, list_index_fields
from herald_tools.local.emulators import Emulators
from herald_tools.local.processes import free_port

WORKSPACE = "bench-console"
KEY = "hk_bench_console_key"
BUDGET_MS = 300.0
# A page taking more than this many times its floor adds work of its own to the reads.
MAX_RATIO = 1.5
PAGE_SIZE = 50
SEED_THREADS = 8


def new_message(number: int) -> MessageState:
    now = time.time_ns() // 1_000_000
    return MessageState(
        id=f"m{number:07d}",
        workspace=WORKSPACE,
        request_id=f"m{number:07d}",
        recipient={"email": f"user{number % 500}@example.com"},
        content={"title": "Hello {{name}}", "body": "Message {{n}}"},
        data={"name": "Ada", "n": number},
        enqueued_ms=now - 10_000_000 + number,
        tags=["bench"] if number % 10 == 0 else [],
        tenant_id="acme" if number % 4 == 0 else None,
        template="welcome",
    )


def routed(message: MessageState) -> Transition | None:
    if message.status != MessageStatus.ENQUEUED:
        return None
    return Transition(
        message.model_copy(update={"status": MessageStatus.ROUTED, "channels": ["email"]}),
        [NewEvent("message.routed", MessageRouted(method="single", channels=["email"]))],
    )


def seed(api_services: object, count: int) -> None:
    from herald.bootstrap import Services

    assert isinstance(api_services, Services)
    messages = api_services.adapters.messages

    def one(number: int) -> None:
        message = new_message(number)
        messages.create_request(
            RequestRecord(
                id=message.request_id,
                workspace=WORKSPACE,
                message_ids=[message.id],
                received_ms=message.enqueued_ms,
            ),
            [(message, [enqueued_event(message)])],
        )
        # Listed from its first transition on, as a sent message is.
        messages.transition(WORKSPACE, message.id, "render", f"bench-{number}", routed)

    started = time.monotonic()
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        for done, _ in enumerate(pool.map(one, range(count)), 1):
            if done % 1000 == 0:
                print(
                    f"  seeded {done:,} messages ({time.monotonic() - started:.0f} s)", flush=True
                )


@dataclass(frozen=True)
class Timing:
    name: str
    page_ms: list[float]
    floor_ms: list[float]
    # The page's own Server-Timing of each load: its reads, its rendering, its total.
    server: list[dict[str, float]]

    @property
    def ratio(self) -> float:
        return statistics.median(self.page_ms) / statistics.median(self.floor_ms)

    def server_median(self, part: str) -> float:
        return statistics.median(s.get(part, 0.0) for s in self.server)


def server_timing(answer: HttpResponse) -> dict[str, float]:
    """A ``Server-Timing`` header's durations by name (``read;dur=1.2, ...``)."""
    durations = {}
    for metric in answer.headers.get("server-timing", "").split(","):
        name, _, duration = metric.strip().partition(";dur=")
        if name and duration:
            durations[name] = float(duration)
    return durations


def timed(load: Callable[[], HttpResponse]) -> tuple[float, HttpResponse]:
    started = time.perf_counter()
    answer = load()
    took = (time.perf_counter() - started) * 1000
    assert answer.status == 200, (answer.status, answer.raw or answer.body)
    return took, answer


class QueryLog:
    """Every list query the summaries repository builds, to check its index."""

    def __init__(self) -> None:
        self.queries: list[SummaryQuery] = []
        original = FirestoreSummaries.query

        def logged(repo: FirestoreSummaries, workspace: str, query: SummaryQuery) -> object:
            self.queries.append(query)
            return original(repo, workspace, query)

        FirestoreSummaries.query = logged  # type: ignore[method-assign,assignment]


def filters_of(query: SummaryQuery) -> tuple[str, ...]:
    """The index fields of a list query's equality filters (its time range is on the sort)."""
    given = {
        "request_id": query.request_id,
        "status": query.statuses,
        "recipient": query.recipient,
        "trace_id": query.trace_id,
        "template": query.template,
        "tenant_id": query.tenant_id,
        "tags": query.tags,
    }
    return tuple(name for name, value in given.items() if value)


def unindexed(queries: list[SummaryQuery]) -> list[tuple[str, ...]]:
    declared = {
        index.fields for index in COMPOSITE_INDEXES if index.collection_group == "summaries"
    }
    missing = []
    for query in queries:
        filters = filters_of(query)
        if not filters:
            continue  # the automatic index of enqueued_ms serves it
        if len(filters) > MAX_LIST_FILTERS or list_index_fields(filters) not in declared:
            missing.append(filters)
    return missing


def run(args: argparse.Namespace) -> int:
    log_dir = Path(tempfile.mkdtemp(prefix="herald-bench-console-"))
    emulators = Emulators(log_dir, functions_port=free_port())
    print("starting the Firestore emulator...", flush=True)
    emulators.start()
    try:
        os.environ.update(emulators.env())
        os.environ.setdefault("HERALD_LINK_SECRET", "bench-console-secret")
        return _measure(args)
    finally:
        emulators.stop()


def _measure(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters, build

    services = build(FirestoreAdapters())
    api: Api = services.api
    services.adapters.keys.put(hash_api_key(KEY), WORKSPACE)
    sessions = services.console
    assert sessions is not None
    cookie = f"herald_console={sessions.issue(WORKSPACE)}"
    print(f"seeding {args.messages:,} messages in workspace {WORKSPACE!r}...", flush=True)
    seed(services, args.messages)
    log = QueryLog()

    def console(path: str, **query: str) -> Callable[[], HttpResponse]:
        request = HttpRequest("GET", path, {"cookie": cookie}, b"", query)
        return lambda: api.handle(request)

    def api_get(path: str, **query: str) -> Callable[[], HttpResponse]:
        request = HttpRequest("GET", path, {"authorization": f"Bearer {KEY}"}, b"", query)
        return lambda: api.handle(request)

    list_floor = api_get("/messages", limit=str(PAGE_SIZE))
    first = list_floor()
    assert first.status == 200 and len(first.body["results"]) == PAGE_SIZE, first.status
    cursor = first.body["paging"]["cursor"]
    newest = first.body["results"][0]["id"]
    # The message page's floor: what an API client reads for the same message.
    message_reads = [
        api_get(f"/messages/{newest}"),
        api_get(f"/messages/{newest}/history"),
        api_get(f"/messages/{newest}/output"),
    ]

    def message_floor() -> HttpResponse:
        answers = [read() for read in message_reads]
        return next((a for a in answers if a.status != 200), answers[-1])

    # Each list page beside the list API's page of the same filters; the other pages
    # beside the unfiltered one.
    by_time = {"from": "2020-01-01T00:00", "to": "2100-01-01T00:00"}
    api_by_time = {
        "enqueued_after": "2020-01-01T00:00:00Z",
        "enqueued_before": "2100-01-01T00:00:00Z",
    }
    pages = {
        "messages": (console("/console/messages"), list_floor),
        "messages, second page": (
            console("/console/messages", cursor=cursor),
            api_get("/messages", limit=str(PAGE_SIZE), cursor=cursor),
        ),
        "messages by status": (
            console("/console/messages", status="ROUTED"),
            api_get("/messages", limit=str(PAGE_SIZE), status="ROUTED"),
        ),
        "messages by tag": (
            console("/console/messages", tag="bench"),
            api_get("/messages", limit=str(PAGE_SIZE), tag="bench"),
        ),
        "messages by tenant": (
            console("/console/messages", tenant_id="acme"),
            api_get("/messages", limit=str(PAGE_SIZE), tenant_id="acme"),
        ),
        "messages by tenant and tag": (
            console("/console/messages", tenant_id="acme", tag="bench"),
            api_get("/messages", limit=str(PAGE_SIZE), tenant_id="acme", tag="bench"),
        ),
        "messages by time": (
            console("/console/messages", **by_time),
            api_get("/messages", limit=str(PAGE_SIZE), **api_by_time),
        ),
        "live list (JSON)": (console("/console/live/messages"), list_floor),
        "a message": (console(f"/console/messages/{newest}"), message_floor),
        "templates": (console("/console/templates"), list_floor),
        "brands": (console("/console/brands"), list_floor),
        "lists": (console("/console/lists"), list_floor),
        "topics": (console("/console/topics"), list_floor),
        "keys": (console("/console/keys"), list_floor),
        "suppressions": (console("/console/suppressions"), list_floor),
        "event web": (console("/console/events"), list_floor),
    }
    for page, floor in pages.values():
        timed(page)  # warm: templates compiled, clients connected
        timed(floor)
    timings = []
    for name, (load, floor) in pages.items():
        page_ms, floor_ms, server = [], [], []
        for _ in range(args.loads):
            took, answer = timed(load)
            page_ms.append(took)
            server.append(server_timing(answer))
            floor_ms.append(timed(floor)[0])
        timings.append(Timing(name, page_ms, floor_ms, server))
    print(report(timings, args))
    missing = unindexed(log.queries)
    print(f"\nlist queries sent: {len(log.queries)}; without a declared index: {len(missing)}")
    for filters in sorted(set(missing)):
        print(f"  NO INDEX: {', '.join(filters)}")
    # Reported, not failed on: a shared machine's load moves even the ratios of a few
    # loads; a query without its index is an error in production whatever the load.
    for t in timings:
        if t.ratio > MAX_RATIO:
            print(f"  over {MAX_RATIO:g}x: {t.name} took {t.ratio:.2f} times its floor")
    return 1 if missing else 0


def report(timings: list[Timing], args: argparse.Namespace) -> str:
    lines = [
        f"\n{args.messages:,} messages in the workspace; {args.loads} loads of each page, "
        f"each beside a load of its floor, GET /messages?limit={PAGE_SIZE} with the page's "
        "filters (a message's: GET /messages/{id}, its /history and /output) "
        f"(load average {os.getloadavg()[0]:.1f})",
        "",
        f"{'page':<28} {'median':>9} {'p95':>9} {'floor':>9} {'ratio':>6} "
        f"{'server: read':>13} {'render':>9}  under {BUDGET_MS:.0f} ms",
    ]
    for t in timings:
        median = statistics.median(t.page_ms)
        lines.append(
            f"{t.name:<28} {median:>6.1f} ms {p95(t.page_ms) or 0.0:>6.1f} ms "
            f"{statistics.median(t.floor_ms):>6.1f} ms {t.ratio:>5.2f}x "
            f"{t.server_median('read'):>10.1f} ms {t.server_median('render'):>6.1f} ms  "
            f"{'yes' if median <= BUDGET_MS else 'NO'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.console", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--messages", type=int, default=10_000, help="messages seeded")
    parser.add_argument("--loads", type=int, default=20, help="loads of each page")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
