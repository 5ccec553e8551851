"""A small document store for what a workspace manages through the API.

Profiles, lists and their subscriptions, preferences, templates and brands are
plain documents addressed by a path under the workspace, e.g.
``("profiles", "ada")`` or ``("lists", "beta", "subscriptions", "ada")``. One
interface, two backends (memory here, Firestore in ``store/firestore_documents``).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from herald.store.sizes import check_document_size

DocPath = tuple[str, ...]  # collection, id, [collection, id, ...]
Document = dict[str, Any]
Change = Callable[[Document | None], Document | None]
# Given the documents at several paths (None where there is none), what each is to be
# afterwards (None: deleted), or None to leave them all as they are.
Changes = Callable[[list[Document | None]], list[Document | None] | None]


# Firestore's rules for a document id: at most 1,500 bytes, no "/", not "." or "..",
# and not "__" ... "__" (reserved). A caller's id breaking them would name another
# path or a reserved one; the API refuses such ids (``domain.send.check_identifier``)
# before they get here.
MAX_DOCUMENT_ID_BYTES = 1500
_RESERVED_ID = re.compile(r"__.*__", re.DOTALL)


def document_id_problem(value: str) -> str | None:
    """Why Firestore would not take ``value`` as a document id, or None."""
    if not value:
        return "is empty"
    if len(value.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_ID_BYTES:
        return f"is longer than {MAX_DOCUMENT_ID_BYTES} bytes"
    if "/" in value:
        return "contains '/'"
    if value in (".", ".."):
        return f"is {value!r}"
    if _RESERVED_ID.fullmatch(value):
        return "matches __.*__, which Firestore reserves"
    return None


def check_doc_path(path: DocPath) -> None:
    if not path or len(path) % 2:
        raise ValueError(f"a document path has collection/id pairs, got {path!r}")
    for document_id in path[1::2]:
        if problem := document_id_problem(document_id):
            raise ValueError(f"document id {document_id!r} {problem}")


def check_storable(workspace: str, path: DocPath, document: Document) -> None:
    """A 413 naming the resource for a document Firestore would refuse as too large."""
    check_document_size(("workspaces", workspace, *path), document)


def check_changes(
    workspace: str, paths: Sequence[DocPath], changed: Sequence[Document | None]
) -> None:
    if len(changed) != len(paths):
        raise ValueError(f"{len(changed)} documents for {len(paths)} paths")
    for path, document in zip(paths, changed, strict=True):
        if document is not None:
            check_storable(workspace, path, document)


def check_collection_path(path: DocPath) -> None:
    if len(path) % 2 != 1:
        raise ValueError(f"a collection path ends with a collection, got {path!r}")
    check_doc_path((*path, "id"))


class DocumentStore(Protocol):
    def get(self, workspace: str, path: DocPath) -> Document | None: ...

    def get_many(self, workspace: str, paths: Sequence[DocPath]) -> list[Document | None]:
        """In the order asked, read together."""
        ...

    def put(self, workspace: str, path: DocPath, document: Document) -> None:
        """Raises ``PayloadTooLarge`` naming the resource for a document too large to store."""
        ...

    def update(self, workspace: str, path: DocPath, change: Change) -> Document | None:
        """Stores ``change(current)`` atomically; a None result leaves it as it is.

        Returns what is stored afterwards.
        """
        ...

    def update_all(
        self, workspace: str, paths: Sequence[DocPath], change: Changes
    ) -> list[Document | None]:
        """Stores ``change(currents)`` atomically over several documents: each path's new
        document, or None to delete it; a None result leaves them all as they are.

        Returns what is stored afterwards, in the order of ``paths``.
        """
        ...

    def delete(self, workspace: str, path: DocPath) -> bool:
        """True if there was a document to delete."""
        ...

    def write_all(
        self, workspace: str, puts: Sequence[tuple[DocPath, Document]], deletes: Sequence[DocPath]
    ) -> None:
        """Stores ``puts`` and deletes ``deletes`` in one batch: all of them, or none."""
        ...

    def page(
        self, workspace: str, collection: DocPath, after: str | None, limit: int
    ) -> list[tuple[str, Document]]:
        """Up to ``limit`` documents of a collection, by id, after the id ``after``."""
        ...

    def count(self, workspace: str, collection: DocPath, limit: int) -> int:
        """How many documents a collection holds, counted up to ``limit`` (an aggregation:
        no document is read)."""
        ...


# Told of each document written: (workspace, path, the document as stored).
WriteObserver = Callable[[str, DocPath, Document], None]


class InMemoryDocuments:
    def __init__(self) -> None:
        self._documents: dict[tuple[str, DocPath], Document] = {}
        self._lock = threading.Lock()
        self._observers: list[WriteObserver] = []

    def observe(self, observer: WriteObserver) -> Callable[[], None]:
        """Tells ``observer`` of every write from now on (what a Firestore listener
        sees); the returned function stops it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _written(self, workspace: str, path: DocPath, document: Document) -> None:
        for observer in list(self._observers):
            observer(workspace, path, copy.deepcopy(document))

    def get(self, workspace: str, path: DocPath) -> Document | None:
        check_doc_path(path)
        with self._lock:
            found = self._documents.get((workspace, path))
            return copy.deepcopy(found) if found is not None else None

    def get_many(self, workspace: str, paths: Sequence[DocPath]) -> list[Document | None]:
        return [self.get(workspace, path) for path in paths]

    def put(self, workspace: str, path: DocPath, document: Document) -> None:
        check_doc_path(path)
        check_storable(workspace, path, document)
        with self._lock:
            self._documents[(workspace, path)] = copy.deepcopy(document)
        self._written(workspace, path, document)

    def update(self, workspace: str, path: DocPath, change: Change) -> Document | None:
        check_doc_path(path)
        with self._lock:
            current = self._documents.get((workspace, path))
            changed = change(copy.deepcopy(current) if current is not None else None)
            if changed is None:
                return copy.deepcopy(current) if current is not None else None
            check_storable(workspace, path, changed)
            self._documents[(workspace, path)] = copy.deepcopy(changed)
        self._written(workspace, path, changed)
        return copy.deepcopy(changed)

    def update_all(
        self, workspace: str, paths: Sequence[DocPath], change: Changes
    ) -> list[Document | None]:
        for path in paths:
            check_doc_path(path)
        with self._lock:
            currents = [self._documents.get((workspace, path)) for path in paths]
            changed = change([copy.deepcopy(c) if c is not None else None for c in currents])
            if changed is None:
                return copy.deepcopy(currents)
            check_changes(workspace, paths, changed)
            for path, document in zip(paths, changed, strict=True):
                if document is None:
                    self._documents.pop((workspace, path), None)
                else:
                    self._documents[(workspace, path)] = copy.deepcopy(document)
        for path, document in zip(paths, changed, strict=True):
            if document is not None:
                self._written(workspace, path, document)
        return copy.deepcopy(changed)

    def delete(self, workspace: str, path: DocPath) -> bool:
        check_doc_path(path)
        with self._lock:
            return self._documents.pop((workspace, path), None) is not None

    def write_all(
        self, workspace: str, puts: Sequence[tuple[DocPath, Document]], deletes: Sequence[DocPath]
    ) -> None:
        for path, document in puts:
            check_doc_path(path)
            check_storable(workspace, path, document)
        for path in deletes:
            check_doc_path(path)
        with self._lock:
            for path in deletes:
                self._documents.pop((workspace, path), None)
            for path, document in puts:
                self._documents[(workspace, path)] = copy.deepcopy(document)
        for path, document in puts:
            self._written(workspace, path, document)

    def page(
        self, workspace: str, collection: DocPath, after: str | None, limit: int
    ) -> list[tuple[str, Document]]:
        check_collection_path(collection)
        with self._lock:
            ids = sorted(
                path[-1]
                for ws, path in self._documents
                if ws == workspace and path[:-1] == collection
            )
            chosen = [i for i in ids if after is None or i > after][:limit]
            return [
                (i, copy.deepcopy(self._documents[(workspace, (*collection, i))])) for i in chosen
            ]

    def count(self, workspace: str, collection: DocPath, limit: int) -> int:
        check_collection_path(collection)
        with self._lock:
            found = sum(
                1 for ws, path in self._documents if ws == workspace and path[:-1] == collection
            )
            return min(found, limit)
