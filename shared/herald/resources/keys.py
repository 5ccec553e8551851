"""API keys: create one for a workspace, list them, revoke one.

Only the key's SHA-256 hash is stored (it is the document id, so authenticating
a request is one read); the short key id (the start of the hash) and the hint
(the key's first characters) tell keys apart without revealing them.
"""

from __future__ import annotations

import datetime
import secrets

from herald.ids import hash_api_key
from herald.store.base import ApiKeyRecord, KeyRepository

KEY_PREFIX = "hk_"
HINT_LENGTH = len(KEY_PREFIX) + 4  # "hk_" and 4 of its 43 random characters


def create_key(keys: KeyRepository, workspace: str) -> tuple[str, ApiKeyRecord]:
    """A new key for ``workspace``: the key itself, shown once, and what is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, keys.put(hash_api_key(key), workspace, hint=key[:HINT_LENGTH])


def _time(ms: int | None) -> str:
    if ms is None:
        return "-"
    at = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def key_table(records: list[ApiKeyRecord]) -> str:
    """One line per key: id, hint, workspace, created, revoked (never the key)."""
    rows = [("KEY ID", "HINT", "WORKSPACE", "CREATED", "REVOKED")] + [
        (
            r.key_id,
            f"{r.hint}…" if r.hint else "-",
            r.workspace,
            _time(r.created_ms),
            _time(r.revoked_ms),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
