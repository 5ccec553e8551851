"""API keys: what a key is, and creating one for a workspace.

Only the key's SHA-256 hash is stored (it is the document id, so authenticating
a request is one read); the short key id (the start of the hash) and the hint
(the key's first characters) tell keys apart without revealing them. A test key
(``hk_test_...``) is stored as opening the workspace's test namespace
(``herald.domain.testmode``), so authenticating it is the same one read.
"""

from __future__ import annotations

import secrets

from herald.domain.testmode import (
    LIVE_KEY_PREFIX,
    TEST_KEY_PREFIX,
    namespace_for_test,
    workspace_name_problem,
)
from herald.ids import hash_api_key
from herald.resources.audit_events import CLI_ACTOR, AuditLog, Source
from herald.store.base import ApiKeyRecord, KeyRepository

RANDOM_HINT_CHARS = 4  # of the key's 43 random characters, shown after its prefix


def create_key(
    keys: KeyRepository,
    audit: AuditLog,
    workspace: str,
    *,
    test: bool = False,
    actor: str = CLI_ACTOR,
    source: Source = "cli",
) -> tuple[str, ApiKeyRecord]:
    """A new key for ``workspace`` (its test namespace if ``test``): the key itself,
    shown once, and what is stored. Raises ValueError for a name no key may open."""
    if problem := workspace_name_problem(workspace):
        raise ValueError(problem)
    prefix = TEST_KEY_PREFIX if test else LIVE_KEY_PREFIX
    opens = namespace_for_test(workspace) if test else workspace
    key = prefix + secrets.token_urlsafe(32)
    record = keys.put(hash_api_key(key), opens, hint=key[: len(prefix) + RANDOM_HINT_CHARS])
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
