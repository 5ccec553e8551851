"""Listening to one user's inbox: every entry changed since a time, as it changes.

What the real-time service tells an open inbox comes from here: on Firestore a listener
(``on_snapshot``) on the user's entries whose ``changed_ms`` is at or after the time the
connection asked for, so the first answer holds only what changed since then and each
later one only what changed again; in memory, the document store's own writes.
Callbacks come from a thread of the listener's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from herald.store.documents import DocPath, Document, InMemoryDocuments
from herald.store.inbox import entries_of

if TYPE_CHECKING:
    from google.cloud import firestore

# (entry id, entry as stored) of each entry changed, in the order they were seen.
EntryChanges = list[tuple[str, Document]]
OnChanges = Callable[[EntryChanges], None]


@dataclass(frozen=True)
class Listening:
    stop: Callable[[], None]
    # False once the listener has ended by itself (its stream failed for good): whoever
    # relies on it must listen again, from where it was.
    alive: Callable[[], bool]


class InboxWatch(Protocol):
    def listen(
        self, workspace: str, user_id: str, since_ms: int, on_changes: OnChanges
    ) -> Listening:
        """Calls ``on_changes`` with the entries changed at or after ``since_ms`` (those
        already changed first, then each change as it happens) until stopped."""
        ...


class InMemoryInboxWatch:
    def __init__(self, documents: InMemoryDocuments) -> None:
        self.documents = documents

    def listen(
        self, workspace: str, user_id: str, since_ms: int, on_changes: OnChanges
    ) -> Listening:
        collection = entries_of(user_id)

        def written(ws: str, path: DocPath, document: Document) -> None:
            if ws == workspace and path[:-1] == collection and _since(document, since_ms):
                on_changes([(path[-1], document)])

        stop = self.documents.observe(written)
        already = [
            (key, entry)
            for key, entry in self.documents.page(workspace, collection, None, 10**6)
            if _since(entry, since_ms)
        ]
        if already:
            on_changes(already)
        return Listening(stop, lambda: True)


class FirestoreInboxWatch:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def listen(
        self, workspace: str, user_id: str, since_ms: int, on_changes: OnChanges
    ) -> Listening:
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self.client.collection("workspaces", workspace, *entries_of(user_id)).where(
            filter=FieldFilter("changed_ms", ">=", since_ms)
        )

        def snapshot(documents: Any, changes: Any, read_time: Any) -> None:
            found = [
                (change.document.id, change.document.to_dict() or {})
                for change in changes
                if change.type.name in ("ADDED", "MODIFIED")
            ]
            if found:
                on_changes(found)

        watch = query.on_snapshot(snapshot)
        return Listening(
            lambda: watch.unsubscribe(),  # type: ignore[no-untyped-call]
            # The stream retries transient failures itself; it stops only for good.
            lambda: bool(watch.is_active),
        )


def _since(entry: Document, since_ms: int) -> bool:
    return int(entry.get("changed_ms") or 0) >= since_ms
