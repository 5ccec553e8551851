"""Callback requests already taken, so a captured request sent again is refused.

A request is remembered by a hash of its signature (a replay is byte for byte
the same request, so it carries the same signature) once it has been applied,
for a day: SendGrid's timestamps are refused after the tolerance anyway, and
Twilio's requests carry none. Records expire through the TTL policy on
``expires_at`` (``herald.store.indexes.TTL_FIELDS``).
"""

from __future__ import annotations

import datetime
import hashlib

from herald.clock import now_ms
from herald.store.documents import DocumentStore

COLLECTION = "callbacks"
KEEP_MS = 24 * 3600 * 1000


def _path(provider: str, signature: str) -> tuple[str, str]:
    return (COLLECTION, hashlib.sha256(f"{provider}:{signature}".encode()).hexdigest())


class SeenCallbacks:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def seen(self, workspace: str, provider: str, signature: str) -> bool:
        stored = self.documents.get(workspace, _path(provider, signature))
        return stored is not None and int(stored.get("expires_ms", 0)) > now_ms()

    def remember(self, workspace: str, provider: str, signature: str) -> None:
        """Written once the request was applied: one that failed may be retried."""
        expires = now_ms() + KEEP_MS
        self.documents.put(
            workspace,
            _path(provider, signature),
            {
                "provider": provider,
                "expires_ms": expires,
                "expires_at": datetime.datetime.fromtimestamp(expires / 1000, tz=datetime.UTC),
            },
        )
