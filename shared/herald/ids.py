"""Identifiers: random where new, derived where a retry must reproduce them."""

import hashlib
import json
import secrets
import uuid
from typing import Any

_MESSAGE_NAMESPACE = uuid.UUID("5b7f2a0e-3c1d-4f5e-9a8b-6c7d8e9f0a1b")


def new_request_id() -> str:
    # Random, never time-ordered: Firestore hot-spots on monotonically increasing keys.
    return uuid.uuid4().hex


def message_id_for(request_id: str, recipient: dict[str, Any]) -> str:
    canonical = json.dumps(recipient, sort_keys=True, separators=(",", ":"))
    return uuid.uuid5(_MESSAGE_NAMESPACE, f"{request_id}/{canonical}").hex


def event_id_for(workspace: str, message_id: str, seq: int) -> str:
    """The outbox record's id: every retry of the same transition carries it."""
    return f"{workspace}:{message_id}:{seq}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Ids of append-only logs (audit events, preference changes) sort newest first, as the
# document store pages by id: this less the time in nanoseconds (entries of one
# millisecond keep their order), zero-padded, then a random part.
_LATEST_NS = 10**19 - 1


def newest_first_id(at_ns: int) -> str:
    return f"{_LATEST_NS - at_ns:019d}-{secrets.token_hex(4)}"
