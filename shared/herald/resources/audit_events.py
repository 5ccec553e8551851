"""The audit trail: each change to a workspace's API keys, providers and templates.

An entry is appended, never changed, at ``audit_events/{id}`` in the workspace's
documents; a template's entry is written in the same batch as the template. The id
orders entries newest first (the document store pages by id), then a random part.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from herald.errors import NotFound
from herald.ids import newest_first_id
from herald.resources.parsing import iso, page_of
from herald.store.documents import DocPath, Document, DocumentStore

AUDIT_EVENTS = ("audit_events",)

AuditType = Literal[
    "api_key.created",
    "api_key.revoked",
    "providers.updated",
    "template.created",
    "template.updated",
    "template.deleted",
    "template.published",
    "template.archived",
]
# Where a change came from: the HTTP API, the operator console, or a ``herald`` command.
Source = Literal["api", "console", "cli"]


# Who made a change an operator's ``herald`` command made (the command knows no more).
CLI_ACTOR = "operator"


def audit_entry(
    kind: AuditType, target: str, actor: str, source: Source, at: int | None = None
) -> tuple[DocPath, Document]:
    """An entry and where it goes, for the batch that makes the change it records."""
    at_ns = time.time_ns()
    at = at_ns // 1_000_000 if at is None else at
    entry_id = newest_first_id(at_ns)
    return (
        (*AUDIT_EVENTS, entry_id),
        {"type": kind, "target": target, "actor": actor, "source": source, "at_ms": at},
    )


def audit_view(entry_id: str, stored: Document) -> dict[str, Any]:
    """Courier's ``AuditEvent``."""
    return {
        "auditEventId": entry_id,
        "type": stored["type"],
        "target": stored["target"],
        "actor": {"id": stored["actor"]},
        "source": stored["source"],
        "timestamp": iso(stored["at_ms"]),
    }


class AuditLog:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def record(
        self, workspace: str, kind: AuditType, target: str, actor: str, source: Source
    ) -> None:
        """A change made outside the document store (keys, settings): recorded after it."""
        path, entry = audit_entry(kind, target, actor, source)
        self.documents.put(workspace, path, entry)

    def get(self, workspace: str, entry_id: str) -> dict[str, Any]:
        stored = self.documents.get(workspace, (*AUDIT_EVENTS, entry_id))
        if stored is None:
            raise NotFound(f"no audit event {entry_id}")
        return audit_view(entry_id, stored)

    def page(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        """Newest first, in Courier's ``{results, paging}``."""
        return page_of(self.documents, workspace, AUDIT_EVENTS, cursor, "results", audit_view)
