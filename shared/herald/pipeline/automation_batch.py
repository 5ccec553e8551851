"""A batch step's collection: the runs reaching it with one key in one window, released once.

Windows are fixed, aligned on multiples of the step's ``window`` since 1970, and a run
belongs to the window holding the moment its batch step became due (which every
redelivery of the step's event carries). A window's runs are kept in documents
(``automation_batches/{digest}``), each a batch of its own: the first run into a batch
owns it and is the one that goes on, when the window ends, with every member's data;
a batch that is full (``max_items``, or the data its owner's run can hold) or already
released sends the next run to the window's next batch. Each change is a transaction on
one document, and a run asked again finds itself where it joined, so a redelivery joins
nothing twice and a release answers the same members every time. A batch's document
expires through the TTL policy on ``expires_at`` a day after its window ends.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from herald.store.documents import Document, DocumentStore
from herald.store.sizes import value_size

MAX_BATCHES_PER_WINDOW = 100  # a window whose batches are all full refuses the next run
KEPT_AFTER_WINDOW_MS = 24 * 3600 * 1000


class BatchesFull(Exception):
    """Every batch of the window is full: the run's step fails with this reason."""


@dataclass(frozen=True)
class Joined:
    batch_id: str  # the batch's document id
    owner: str  # the run that goes on with the batch
    ends_ms: int  # when the window ends: the owner's release


def batch_path(batch_id: str) -> tuple[str, str]:
    return ("automation_batches", batch_id)


def _batch_id(key: str, window_ms: int, start_ms: int, part: int) -> str:
    return hashlib.sha256(f"{window_ms}:{start_ms}:{part}:{key}".encode()).hexdigest()


@dataclass
class _Joining:
    """One run's attempt at one batch; ``owner`` is set when the run is in it."""

    run_id: str
    item: dict[str, Any]
    max_items: int
    capacity_bytes: int
    start_ms: int
    ends_ms: int
    owner: str | None = None

    def change(self, current: Document | None) -> Document | None:
        self.owner = None
        doc: dict[str, Any] = dict(current) if current else {}
        members: list[str] = list(doc.get("members", []))
        if self.run_id in members:
            self.owner = str(doc["owner"])
            return None  # asked before: where it joined
        weight = int(doc.get("bytes", 0)) + value_size(self.item)
        if doc.get("released") or len(members) >= self.max_items:
            return None  # this batch is done or full: the next one
        if members and weight > int(doc["capacity_bytes"]):
            return None
        self.owner = str(doc.get("owner", self.run_id))
        expires = datetime.datetime.fromtimestamp(
            (self.ends_ms + KEPT_AFTER_WINDOW_MS) / 1000, tz=datetime.UTC
        )
        return {
            "owner": self.owner,
            "members": [*members, self.run_id],
            "items": [*doc.get("items", []), self.item],
            "bytes": weight,
            "capacity_bytes": int(doc.get("capacity_bytes", self.capacity_bytes)),
            "released": False,
            "window_ms": self.start_ms,
            "expires_at": expires,
        }


class Batches:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def join(
        self,
        workspace: str,
        key: str,
        window_ms: int,
        max_items: int,
        run_id: str,
        item: dict[str, Any],
        capacity_bytes: int,
        at_ms: int,
    ) -> Joined:
        """The batch ``run_id`` is in, joining the window's first batch with room if it is
        in none. ``capacity_bytes``: what the items may weigh if this run owns the batch."""
        start = at_ms - at_ms % window_ms
        ends = start + window_ms
        for part in range(MAX_BATCHES_PER_WINDOW):
            batch_id = _batch_id(key, window_ms, start, part)
            joining = _Joining(run_id, item, max_items, capacity_bytes, start, ends)
            self.documents.update(workspace, batch_path(batch_id), joining.change)
            if joining.owner is not None:
                return Joined(batch_id=batch_id, owner=joining.owner, ends_ms=ends)
        raise BatchesFull(f"the window's {MAX_BATCHES_PER_WINDOW} batches are full")

    def release(self, workspace: str, batch_id: str) -> list[Any]:
        """The batch's items, closed to new members; the same items on every call."""
        released: list[list[Any]] = []

        def closed(current: Document | None) -> Document | None:
            released.clear()
            released.append(list((current or {}).get("items", [])))
            if current is None or current.get("released"):
                return None
            return {**current, "released": True}

        self.documents.update(workspace, batch_path(batch_id), closed)
        return released[0]
