"""The document store on Firestore: ``workspaces/{ws}/<path>``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.cloud import firestore

from herald.store.documents import (
    Change,
    Changes,
    DocPath,
    Document,
    check_changes,
    check_collection_path,
    check_doc_path,
    check_storable,
)
from herald.store.firestore import _span
from herald.store.firestore_transactions import read_in, run_transaction

UPDATE_ATTEMPTS = 20


class FirestoreDocuments:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def _ref(self, workspace: str, path: DocPath) -> firestore.DocumentReference:
        check_doc_path(path)
        ref: firestore.DocumentReference = self.client.document("workspaces", workspace, *path)
        return ref

    def get(self, workspace: str, path: DocPath) -> Document | None:
        with _span("get", path[-2]):
            snap = self._ref(workspace, path).get()
            return snap.to_dict() if snap.exists else None

    def get_many(self, workspace: str, paths: Sequence[DocPath]) -> list[Document | None]:
        if not paths:
            return []
        refs = [self._ref(workspace, path) for path in paths]
        with _span("get_all", paths[0][-2]):
            found = {
                snap.reference.path: snap.to_dict()
                for snap in self.client.get_all(refs)
                if snap.exists
            }
        return [found.get(ref.path) for ref in refs]

    def put(self, workspace: str, path: DocPath, document: Document) -> None:
        ref = self._ref(workspace, path)
        check_storable(workspace, path, document)
        with _span("set", path[-2]):
            ref.set(document)

    def update(self, workspace: str, path: DocPath, change: Change) -> Document | None:
        ref = self._ref(workspace, path)

        def apply(transaction: firestore.Transaction) -> Document | None:
            [snap] = read_in(transaction, [ref])
            current = snap.to_dict() if snap.exists else None
            changed = change(current)
            if changed is None:
                return current
            check_storable(workspace, path, changed)
            transaction.set(ref, changed)
            return changed

        with _span("transaction", path[-2]):
            # A profile or list edited from several requests at once: retry, then give up
            # (Contended: the caller is told to try again).
            return run_transaction(self.client, apply, attempts=UPDATE_ATTEMPTS)

    def update_all(
        self, workspace: str, paths: Sequence[DocPath], change: Changes
    ) -> list[Document | None]:
        refs = [self._ref(workspace, path) for path in paths]

        def apply(transaction: firestore.Transaction) -> list[Document | None]:
            found = {
                snap.reference.path: snap.to_dict()
                for snap in read_in(transaction, refs)
                if snap.exists
            }
            currents = [found.get(ref.path) for ref in refs]
            changed = change(currents)
            if changed is None:
                return currents
            check_changes(workspace, paths, changed)
            for ref, document in zip(refs, changed, strict=True):
                if document is None:
                    transaction.delete(ref)
                else:
                    transaction.set(ref, document)
            return changed

        with _span("transaction", paths[0][-2] if paths else ""):
            return run_transaction(self.client, apply, attempts=UPDATE_ATTEMPTS)

    def delete(self, workspace: str, path: DocPath) -> bool:
        ref = self._ref(workspace, path)
        with _span("delete", path[-2]):
            existed = ref.get().exists
            ref.delete()
            return bool(existed)

    def write_all(
        self, workspace: str, puts: Sequence[tuple[DocPath, Document]], deletes: Sequence[DocPath]
    ) -> None:
        batch = self.client.batch()
        for path in deletes:
            batch.delete(self._ref(workspace, path))
        for path, document in puts:
            check_storable(workspace, path, document)
            batch.set(self._ref(workspace, path), document)
        with _span("batch", "documents"):
            batch.commit()

    def page(
        self, workspace: str, collection: DocPath, after: str | None, limit: int
    ) -> list[tuple[str, Document]]:
        check_collection_path(collection)
        ref = self.client.collection("workspaces", workspace, *collection)
        query = ref.order_by("__name__").limit(limit)
        if after is not None:
            query = query.start_after({"__name__": ref.document(after)})
        with _span("query", collection[-1]):
            return [(snap.id, snap.to_dict() or {}) for snap in query.stream()]

    def count(self, workspace: str, collection: DocPath, limit: int) -> int:
        check_collection_path(collection)
        query = self.client.collection("workspaces", workspace, *collection).limit(limit)
        # The client's stubs type the aggregation's answer wrongly: a list of lists.
        aggregation: Any = query.count()
        with _span("count", collection[-1]):
            return int(aggregation.get()[0][0].value)
