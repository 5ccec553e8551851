"""The inbox watch's contract, run against each backend: a listener is told of what
changes in its user's inbox from the time it asks, and of nothing else."""

from __future__ import annotations

import threading
import uuid

from herald.domain.inbox import changed, new_entry
from herald.store.documents import Document, DocumentStore
from herald.store.inbox import InboxEntries
from herald.store.inbox_watch import EntryChanges, InboxWatch
from tests.conftest import eventually


class Heard:
    def __init__(self) -> None:
        self.changes: EntryChanges = []
        self._lock = threading.Lock()

    def __call__(self, changes: EntryChanges) -> None:
        with self._lock:
            self.changes.extend(changes)

    def titles(self) -> list[tuple[str, int]]:
        with self._lock:
            return [(entry["title"], entry["version"]) for _, entry in self.changes]


def _entry(title: str, stored_ms: int) -> Document:
    return new_entry(uuid.uuid4().hex, stored_ms, {"title": title}, stored_ms=stored_ms)


class InboxWatchContract:
    def test_a_listener_hears_what_changes_from_its_time_and_nothing_else(
        self, documents: DocumentStore, inbox_watch: InboxWatch
    ) -> None:
        ws = f"ws-{uuid.uuid4().hex[:10]}"
        entries = InboxEntries(documents)
        old, recent = _entry("old", 1_000), _entry("recent", 5_000)
        entries.store_once(ws, "ada", old)
        entries.store_once(ws, "ada", recent)
        heard = Heard()
        listening = inbox_watch.listen(ws, "ada", 5_000, heard)
        # What changed at or after its time is heard first: the recent entry, not the old.
        eventually(lambda: heard.titles() == [("recent", 0)], what="the recent entry")

        entries.store_once(ws, "grace", _entry("grace's", 6_000))  # another user's
        entries.store_once(f"{ws}-other", "ada", _entry("elsewhere", 6_000))  # another workspace
        [(key, _)] = [(k, e) for k, e in entries.newest(ws, "ada") if e["title"] == "old"]
        entries.change(ws, "ada", key, lambda e: changed(e, "read", 7_000) if e else None)
        entries.store_once(ws, "ada", _entry("new", 8_000))
        eventually(
            lambda: heard.titles() == [("recent", 0), ("old", 1), ("new", 0)],
            what="the old entry read, then the new one",
        )
        assert listening.alive()
        listening.stop()
        entries.store_once(ws, "ada", _entry("after stop", 9_000))
        # Heard by a second listener, so the first had every chance to hear it too.
        second = Heard()
        listening_too = inbox_watch.listen(ws, "ada", 9_000, second)
        eventually(lambda: second.titles() == [("after stop", 0)], what="the last entry")
        listening_too.stop()
        assert heard.titles() == [("recent", 0), ("old", 1), ("new", 0)]
