"""API keys: what a key is, and creating one for a workspace.

Only the key's SHA-256 hash is stored (it is the document id, so authenticating
a request is one read); the short key id (the start of the hash) and the hint
(the key's first characters) tell keys apart without revealing them.
"""

from __future__ import annotations

import secrets

from herald.ids import hash_api_key
from herald.store.base import ApiKeyRecord, KeyRepository

KEY_PREFIX = "hk_"
HINT_LENGTH = len(KEY_PREFIX) + 4  # "hk_" and 4 of its 43 random characters


def create_key(keys: KeyRepository, workspace: str) -> tuple[str, ApiKeyRecord]:
    """A new key for ``workspace``: the key itself, shown once, and what is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, keys.put(hash_api_key(key), workspace, hint=key[:HINT_LENGTH])
