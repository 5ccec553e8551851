"""The document store's contract, run against each backend."""

from __future__ import annotations

import threading
import uuid

import pytest

from herald.errors import PayloadTooLarge
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

    def test_update_is_atomic_under_concurrent_writers(self, documents: DocumentStore) -> None:
        ws = _workspace()
        path = ("lists", "counter")

        def increment(current: Document | None) -> Document:
            return {"n": (current or {}).get("n", 0) + 1}

        threads = [
            threading.Thread(target=lambda: documents.update(ws, path, increment)) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert documents.get(ws, path) == {"n": 8}
        assert documents.update(ws, path, lambda current: None) == {"n": 8}

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
