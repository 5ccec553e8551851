"""Each user's inbox, in the workspace's documents: ``inbox/{user_id}/entries/{entry_id}``.

Entries are read newest first, in pages of the document store's own order (the entry id
orders them), and filtered as they are read. A query reads at most ``MAX_SCANNED``
entries: the bound of its cost whatever the inbox holds, and the reach of its counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from herald.domain.inbox import InboxFilter, entry_id
from herald.store.documents import DocPath, Document, DocumentStore

# The most entries one query reads; counts stop there too.
MAX_SCANNED = 2000
_PAGE = 200


def entries_of(user_id: str) -> DocPath:
    return ("inbox", user_id, "entries")


Entries = list[tuple[str, dict[str, Any]]]  # (entry id, entry), newest first


@dataclass(frozen=True)
class InboxPage:
    entries: list[dict[str, Any]]
    next_cursor: str | None  # the last entry's id, when more may follow


def page_of(entries: Entries, chosen: InboxFilter, limit: int) -> InboxPage:
    """The first ``limit`` entries ``chosen`` admits, and the cursor after them if more do."""
    found: Entries = []
    for key, entry in entries:
        if chosen.admits(entry):
            found.append((key, entry))
            if len(found) > limit:
                break
    kept = found[:limit]
    more = len(found) > limit
    return InboxPage([e for _, e in kept], kept[-1][0] if more and kept else None)


def count_of(entries: Entries, chosen: InboxFilter) -> int:
    return sum(1 for _, entry in entries if chosen.admits(entry))


class InboxEntries:
    def __init__(self, documents: DocumentStore, max_scanned: int = MAX_SCANNED) -> None:
        self.documents = documents
        self.max_scanned = max_scanned

    def store_once(self, workspace: str, user_id: str, entry: dict[str, Any]) -> bool:
        """Stores the entry unless its message is there already: True if it was stored.

        The id comes from the message, so a redelivered message finds its entry.
        """
        path = (*entries_of(user_id), entry_id(entry["created_ms"], entry["message_id"]))
        stored = False

        def create(current: Document | None) -> Document | None:
            nonlocal stored
            stored = current is None
            return entry if current is None else None

        self.documents.update(workspace, path, create)
        return stored

    def get(self, workspace: str, user_id: str, entry: str) -> dict[str, Any] | None:
        return self.documents.get(workspace, (*entries_of(user_id), entry))

    def change(
        self,
        workspace: str,
        user_id: str,
        entry: str,
        change: Callable[[Document | None], Document | None],
    ) -> Document | None:
        return self.documents.update(workspace, (*entries_of(user_id), entry), change)

    def _scan(self, workspace: str, user_id: str, after: str | None) -> Any:
        """(id, entry) newest first after ``after``, at most ``max_scanned`` of them."""
        scanned = 0
        while scanned < self.max_scanned:
            limit = min(_PAGE, self.max_scanned - scanned)
            page = self.documents.page(workspace, entries_of(user_id), after, limit)
            yield from page
            scanned += len(page)
            if len(page) < limit:
                return
            after = page[-1][0]

    def newest(self, workspace: str, user_id: str, after: str | None = None) -> Entries:
        """The newest entries (after ``after``), as many as one query may read."""
        return list(self._scan(workspace, user_id, after))

    def page(
        self, workspace: str, user_id: str, chosen: InboxFilter, after: str | None, limit: int
    ) -> InboxPage:
        return page_of(self.newest(workspace, user_id, after), chosen, limit)

    def count(self, workspace: str, user_id: str, chosen: InboxFilter) -> int:
        return count_of(self.newest(workspace, user_id), chosen)

    def all_admitted(self, workspace: str, user_id: str, chosen: InboxFilter) -> Entries:
        """Every entry the filter admits within the scan (read-all, archive-all)."""
        return [(k, e) for k, e in self._scan(workspace, user_id, None) if chosen.admits(e)]
