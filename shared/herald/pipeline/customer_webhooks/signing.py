"""Both signatures of one raw body: Courier's ``courier-signature`` and Standard Webhooks'."""

from __future__ import annotations

import hashlib
import hmac

from herald.providers.webhook import sign


def courier_signature(secret: str, timestamp_ms: int, body: bytes) -> str:
    """``t=<ms>,signature=<hex HMAC-SHA256 of "t.body">``, keyed with the secret as given."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}.".encode() + body, hashlib.sha256)
    return f"t={timestamp_ms},signature={digest.hexdigest()}"


def signature_headers(secret: str, webhook_id: str, at_ms: int, body: bytes) -> dict[str, str]:
    """The headers that sign ``body``; ``webhook_id`` stays the same on every retry."""
    seconds = at_ms // 1000
    return {
        "courier-signature": courier_signature(secret, at_ms, body),
        "webhook-id": webhook_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": sign(secret, webhook_id, seconds, body),
    }
