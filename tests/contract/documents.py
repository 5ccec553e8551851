"""The document store's contract, run against each backend."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from herald.errors import Contended, PayloadTooLarge
from herald.store.documents import Document, DocumentStore


def _workspace() -> str:
    return f"ws-{uuid.uuid4().hex[:10]}"


class DocumentStoreContract:
    def test_put_get_and_delete(self, documents: DocumentStore) -> None:
        ws = _workspace()
        path = ("profiles", "ada")
        assert documents.get(ws, path) is None
        documents.put(ws, path, {"profile": {"email": "ada@example.com"}})
        assert documents.get(ws, path) == {"profile": {"email": "ada@example.com"}}
        assert documents.get(_workspace(), path) is None  # another workspace
        assert documents.delete(ws, path) is True
        assert documents.delete(ws, path) is False
        assert documents.get(ws, path) is None

    def test_get_many_answers_in_the_order_asked(self, documents: DocumentStore) -> None:
        ws = _workspace()
        documents.put(ws, ("profiles", "b"), {"n": 2})
        documents.put(ws, ("profiles", "a"), {"n": 1})
        got = documents.get_many(ws, [("profiles", "b"), ("profiles", "x"), ("profiles", "a")])
        assert got == [{"n": 2}, None, {"n": 1}]

    def test_concurrent_updates_each_succeed_or_are_told_contended_and_none_is_lost(
        self, documents: DocumentStore
    ) -> None:
        """Each writer's outcome is collected: a success counts once in the document, a
        ``Contended`` not at all (nothing written; the caller may try again)."""
        ws = _workspace()
        path = ("lists", "counter")
        writers = 8
        start = threading.Barrier(writers)

        def increment(current: Document | None) -> Document:
            return {"n": (current or {}).get("n", 0) + 1}

        def write(_: int) -> str:
            start.wait(timeout=10)
            try:
                documents.update(ws, path, increment)
            except Contended:
                return "contended"
            return "written"

        with ThreadPoolExecutor(writers) as pool:
            outcomes = list(pool.map(write, range(writers)))  # re-raises anything else
        written = outcomes.count("written")
        assert written + outcomes.count("contended") == writers
        assert (documents.get(ws, path) or {}).get("n", 0) == written

    def test_update_all_changes_several_documents_together_or_none(
        self, documents: DocumentStore
    ) -> None:
        ws = _workspace()
        kept, gone, new = ("users", "ada"), ("users", "ada", "tokens", "t1"), ("tokens", "t2")
        documents.put(ws, kept, {"n": 1})
        documents.put(ws, gone, {"n": 2})
        seen: list[list[Document | None]] = []

        def change(currents: list[Document | None]) -> list[Document | None]:
            seen.append(currents)
            return [{"n": 10}, None, {"n": 3}]

        assert documents.update_all(ws, [kept, gone, new], change) == [{"n": 10}, None, {"n": 3}]
        assert seen[-1] == [{"n": 1}, {"n": 2}, None]
        assert documents.get_many(ws, [kept, gone, new]) == [{"n": 10}, None, {"n": 3}]
        # None leaves them all as they are; so does a document too large for one of them.
        assert documents.update_all(ws, [kept, new], lambda currents: None) == [
            {"n": 10},
            {"n": 3},
        ]
        with pytest.raises(PayloadTooLarge):
            documents.update_all(ws, [kept, new], lambda c: [{"n": 11}, {"z": [0] * 250_000}])
        assert documents.get_many(ws, [kept, new]) == [{"n": 10}, {"n": 3}]
        with pytest.raises(ValueError):
            documents.update_all(ws, [kept, new], lambda c: [{"n": 12}])
        assert documents.get(ws, kept) == {"n": 10}

    def test_concurrent_update_alls_lose_no_change(self, documents: DocumentStore) -> None:
        ws = _workspace()
        index, writers = ("users", "ada"), 6
        start = threading.Barrier(writers)

        def add(n: int) -> str:
            def change(currents: list[Document | None]) -> list[Document | None]:
                held = (currents[0] or {}).get("held", [])
                return [{"held": [*held, n]}, {"n": n}]

            start.wait(timeout=10)
            try:
                documents.update_all(ws, [index, ("users", "ada", "tokens", str(n))], change)
            except Contended:
                return "contended"
            return "written"

        with ThreadPoolExecutor(writers) as pool:
            outcomes = list(pool.map(add, range(writers)))
        held = sorted((documents.get(ws, index) or {}).get("held", []))
        assert held == [n for n, outcome in enumerate(outcomes) if outcome == "written"]
        assert all(
            (documents.get(ws, ("users", "ada", "tokens", str(n))) is not None)
            == (outcome == "written")
            for n, outcome in enumerate(outcomes)
        )

    def test_page_walks_a_subcollection_in_id_order(self, documents: DocumentStore) -> None:
        ws = _workspace()
        for user in ("cy", "ada", "bob", "dee"):
            documents.put(ws, ("lists", "beta", "subscriptions", user), {"u": user})
        documents.put(ws, ("lists", "other", "subscriptions", "zed"), {"u": "zed"})
        collection = ("lists", "beta", "subscriptions")
        first = documents.page(ws, collection, None, 3)
        assert [doc_id for doc_id, _ in first] == ["ada", "bob", "cy"]
        rest = documents.page(ws, collection, first[-1][0], 3)
        assert rest == [("dee", {"u": "dee"})]
        assert documents.page(ws, collection, "dee", 3) == []

    def test_a_document_larger_than_herald_stores_is_refused_naming_its_resource(
        self, documents: DocumentStore
    ) -> None:
        ws = _workspace()
        path = ("templates", "big")
        # Small as JSON, 2 MB as Firestore counts integers (8 bytes each).
        too_large: Document = {"z": [0] * 250_000}
        with pytest.raises(PayloadTooLarge) as refused:
            documents.put(ws, path, too_large)
        assert refused.value.errors[0].field == "template"
        with pytest.raises(PayloadTooLarge) as refused:
            documents.update(ws, path, lambda current: too_large)
        assert refused.value.errors[0].field == "template"
        assert documents.get(ws, path) is None

    def test_ids_firestore_reserves_or_would_nest_are_refused(
        self, documents: DocumentStore
    ) -> None:
        for bad in ("a/b", "..", "__name__"):
            with pytest.raises(ValueError):
                documents.put(_workspace(), ("profiles", bad), {"x": 1})

    def test_count_counts_a_collection_up_to_a_limit(self, documents: DocumentStore) -> None:
        ws = _workspace()
        for user in ("a", "b", "c"):
            documents.put(ws, ("lists", "news", "subscriptions", user), {})
        documents.put(ws, ("lists", "other", "subscriptions", "d"), {})
        assert documents.count(ws, ("lists", "news", "subscriptions"), 10) == 3
        assert documents.count(ws, ("lists", "news", "subscriptions"), 2) == 2
        assert documents.count(ws, ("lists", "none", "subscriptions"), 10) == 0
        assert documents.count(_workspace(), ("lists", "news", "subscriptions"), 10) == 0

    def test_write_all_stores_and_deletes_in_one_batch_or_not_at_all(
        self, documents: DocumentStore
    ) -> None:
        ws = _workspace()
        documents.put(ws, ("templates", "old"), {"n": 0})
        documents.write_all(
            ws,
            [(("templates", "new"), {"n": 1}), (("audit_events", "e1"), {"n": 2})],
            [("templates", "old")],
        )
        assert documents.get_many(
            ws, [("templates", "old"), ("templates", "new"), ("audit_events", "e1")]
        ) == [None, {"n": 1}, {"n": 2}]
        # One document too large: nothing of the batch is written.
        with pytest.raises(PayloadTooLarge):
            documents.write_all(
                ws,
                [(("audit_events", "e2"), {"n": 3}), (("templates", "big"), {"z": [0] * 250_000})],
                [("templates", "new")],
            )
        assert documents.get_many(
            ws, [("audit_events", "e2"), ("templates", "big"), ("templates", "new")]
        ) == [None, None, {"n": 1}]
