"""Every query shape the list can send to Firestore has its composite index declared."""

import itertools

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.types import StructuredQuery

from herald.store.base import PageMark, SummaryQuery
from herald.store.firestore import FirestoreSummaries
from herald.store.indexes import COMPOSITE_INDEXES, MAX_LIST_FILTERS

# One value and several for each filter of the list: several means `in` / array_contains_any.
FILTER_VALUES: dict[str, tuple[object, ...]] = {
    "request_id": ("r1",),
    "statuses": (("SENT",), ("SENT", "DELIVERED")),
    "recipient": ("a@example.com",),
    "trace_id": ("t1",),
    "template": ("welcome",),
    "tenant_id": ("acme",),
    "tags": (("a",), ("a", "b")),
}
EXTRAS: tuple[dict[str, object], ...] = (
    {},
    {"enqueued_after_ms": 5},
    {"after": PageMark(9, "m9")},
    {"enqueued_after_ms": 5, "after": PageMark(9, "m9")},
    {"enqueued_before_ms": 9},
    {"enqueued_after_ms": 5, "enqueued_before_ms": 9, "after": PageMark(8, "m8")},
)
OPERATOR_FIELDS = {
    StructuredQuery.FieldFilter.Operator.ARRAY_CONTAINS: "CONTAINS",
    StructuredQuery.FieldFilter.Operator.ARRAY_CONTAINS_ANY: "CONTAINS",
}


def every_list_query() -> list[SummaryQuery]:
    queries = []
    for size in range(MAX_LIST_FILTERS + 1):
        for names in itertools.combinations(FILTER_VALUES, size):
            for values in itertools.product(*(FILTER_VALUES[n] for n in names)):
                for extra in EXTRAS:
                    queries.append(SummaryQuery(**dict(zip(names, values, strict=True)), **extra))  # type: ignore[arg-type]
    return queries


def needed_index(structured: StructuredQuery) -> tuple[tuple[str, str], ...] | None:
    """The composite index a structured query needs (None: the automatic ones serve it)."""
    where = structured.where
    filters = (
        [f.field_filter for f in where.composite_filter.filters]
        if where.composite_filter.filters
        else ([where.field_filter] if where.field_filter.field.field_path else [])
    )
    equalities = {
        f.field.field_path: OPERATOR_FIELDS.get(f.op, "ASCENDING")
        for f in filters
        if f.field.field_path != "enqueued_ms"  # the range is on the sort field: same index
    }
    orders = [(o.field.field_path, o.direction.name) for o in structured.order_by]
    assert orders == [("enqueued_ms", "DESCENDING"), ("__name__", "DESCENDING")]
    if not equalities:
        return None
    # Equality fields match an index in any order; the index's __name__ is implicit.
    return (*sorted(equalities.items()), ("enqueued_ms", "DESCENDING"))


def test_every_list_query_firestore_would_run_has_its_composite_index() -> None:
    credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    client = firestore.Client(project="herald-index-test", credentials=credentials)
    backend = FirestoreSummaries(client)
    declared = {
        (*sorted(index.fields[:-1]), index.fields[-1])
        for index in COMPOSITE_INDEXES
        if index.collection_group == "summaries" and index.query_scope == "COLLECTION"
    }
    queries = every_list_query()
    assert len(queries) > 100
    for query in queries:
        needed = needed_index(backend.query("ws", query)._to_protobuf())
        assert needed is None or needed in declared, (query, needed)
