"""The console benchmark's index check: a list query whose filters have no declared
composite index is caught (the emulator would serve it; Firestore would not)."""

from __future__ import annotations

from bench.console import filters_of, unindexed
from herald.store.base import SummaryQuery


def test_each_filter_combination_the_console_sends_has_its_index() -> None:
    queries = [
        SummaryQuery(),
        SummaryQuery(statuses=("ROUTED",)),
        SummaryQuery(tenant_id="acme"),
        SummaryQuery(tenant_id="acme", tags=("bench",)),
        SummaryQuery(enqueued_after_ms=1, enqueued_before_ms=9),
    ]
    assert [filters_of(q) for q in queries] == [
        (),
        ("status",),
        ("tenant_id",),
        ("tenant_id", "tags"),
        (),
    ]
    assert unindexed(queries) == []


def test_a_query_beyond_the_declared_indexes_is_named() -> None:
    three = SummaryQuery(statuses=("SENT",), tenant_id="acme", tags=("a",))
    assert unindexed([three]) == [("status", "tenant_id", "tags")]
