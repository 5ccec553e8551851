"""The list's cursor: opaque to callers, the last summary's sort key to Herald.

It is URL-safe base64 of ``[enqueued_ms, message_id]``: a page starts strictly
after it in the list's order (newest first, ties by id), so pages neither skip
nor repeat a message however many arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json

from herald.errors import ValidationFailed
from herald.store.base import PageMark


def encode_cursor(mark: PageMark) -> str:
    """The cursor of a page that ended at ``mark`` (its last summary's sort key)."""
    raw = json.dumps([mark.enqueued_ms, mark.message_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageMark:
    invalid = ValidationFailed.of("cursor", "is not a cursor this API returned")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        enqueued_ms, message_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise invalid from None
    valid_time = enqueued_ms is None or (type(enqueued_ms) is int and enqueued_ms >= 0)
    if not (valid_time and isinstance(message_id, str) and 0 < len(message_id) <= 128):
        raise invalid
    return PageMark(enqueued_ms, message_id)
