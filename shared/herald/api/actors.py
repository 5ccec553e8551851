"""Who made a change through the API, as the audit trail names them."""

from __future__ import annotations

from herald.api.http import HttpRequest
from herald.ids import hash_api_key
from herald.store.base import key_id_of


def api_actor(request: HttpRequest) -> str:
    """The id of the API key the request came with (its hash's start, never the key)."""
    _, _, key = (request.header("authorization") or "").partition(" ")
    return f"api_key:{key_id_of(hash_api_key(key.strip()))}"
