"""API keys: what a key is, and creating one for a workspace.

Only the key's SHA-256 hash is stored (it is the document id, so authenticating
a request is one read); the short key id (the start of the hash) and the hint
(the key's first characters) tell keys apart without revealing them.
"""

from __future__ import annotations

import secrets

from herald.ids import hash_api_key
from herald.resources.audit_events import CLI_ACTOR, AuditLog, Source
from herald.store.base import ApiKeyRecord, KeyRepository

KEY_PREFIX = "hk_"
HINT_LENGTH = len(KEY_PREFIX) + 4  # "hk_" and 4 of its 43 random characters


def create_key(
    keys: KeyRepository,
    audit: AuditLog,
    workspace: str,
    actor: str = CLI_ACTOR,
    source: Source = "cli",
) -> tuple[str, ApiKeyRecord]:
    """A new key for ``workspace``: the key itself, shown once, and what is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = keys.put(hash_api_key(key), workspace, hint=key[:HINT_LENGTH])
    audit.record(workspace, "api_key.created", f"api_key:{record.key_id}", actor, source)
    return key, record


def revoke_key(
    keys: KeyRepository,
    audit: AuditLog,
    key_id: str,
    actor: str = CLI_ACTOR,
    source: Source = "cli",
) -> ApiKeyRecord | None:
    """The key revoked (None: no such key), recorded in its workspace's audit trail."""
    revoked = keys.revoke(key_id)
    if revoked is not None:
        audit.record(
            revoked.workspace, "api_key.revoked", f"api_key:{revoked.key_id}", actor, source
        )
    return revoked
