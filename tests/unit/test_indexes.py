import itertools

from herald.store.indexes import COMPOSITE_INDEXES

LIST_FILTERS = ("request_id", "status")  # FirestoreSummaries.list's equality filters


def test_every_filter_combination_of_the_list_query_has_its_composite_index() -> None:
    declared = {(index.collection_group, index.fields) for index in COMPOSITE_INDEXES}
    for size in (1, 2):
        for combination in itertools.combinations(LIST_FILTERS, size):
            fields = (*((f, "ASCENDING") for f in combination), ("enqueued_ms", "DESCENDING"))
            assert ("summaries", fields) in declared, combination
