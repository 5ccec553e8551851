"""What provider callbacks have already been taken, so nothing captured is applied twice.

- SendGrid: a request is remembered by a hash of its timestamp and body, what
  the signature covers. Not by the signature: ECDSA signatures are malleable, so
  (r, n - s) is a second valid signature of the same request. Each event is
  remembered by its ``sg_event_id`` as well: one seen before, in any request
  (SendGrid retrying a batch), is not applied again. Both are kept for a week,
  far longer than the ten minutes a request's timestamp is accepted for.
- Twilio signs no time, so a request captured once could be replayed whenever:
  each report is remembered by its ``MessageSid`` (with the status, for a status
  callback) for 90 days. A replay within them is refused; one after them is
  possible, and the README says so.

A record is claimed before its report is applied and released if applying fails,
so two copies arriving together apply once and a failed one can be retried.
Records expire through the TTL policy on ``expires_at``
(``herald.store.indexes.TTL_FIELDS``).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid

from herald.clock import now_ms
from herald.store.documents import Document, DocumentStore

COLLECTION = "callbacks"
DAY_MS = 24 * 3600 * 1000
SENDGRID_KEEP_MS = 7 * DAY_MS
TWILIO_KEEP_MS = 90 * DAY_MS


def sendgrid_request(timestamp: str, body: bytes) -> str:
    """The key of a SendGrid request: what its signature signs, hashed."""
    return "request:" + hashlib.sha256(timestamp.encode() + b"\n" + body).hexdigest()


def sendgrid_event(event_id: str) -> str:
    return f"event:{event_id}"


def twilio_status(message_sid: str, status: str) -> str:
    return f"status:{message_sid}:{status}"


def twilio_inbound(message_sid: str) -> str:
    return f"inbound:{message_sid}"


def _path(provider: str, key: str) -> tuple[str, str]:
    return (COLLECTION, hashlib.sha256(f"{provider}:{key}".encode()).hexdigest())


class SeenCallbacks:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def claim(self, workspace: str, provider: str, key: str, keep_ms: int) -> bool:
        """True if ``key`` is new and now taken for ``keep_ms``; False if it was seen."""
        claim = uuid.uuid4().hex
        now = now_ms()
        expires = now + keep_ms

        def take(current: Document | None) -> Document | None:
            if current is not None and int(current.get("expires_ms", 0)) > now:
                return None
            return {
                "provider": provider,
                "claim": claim,
                "expires_ms": expires,
                "expires_at": datetime.datetime.fromtimestamp(expires / 1000, tz=datetime.UTC),
            }

        stored = self.documents.update(workspace, _path(provider, key), take)
        return stored is not None and stored.get("claim") == claim

    def release(self, workspace: str, provider: str, key: str) -> None:
        """Forgets a claim whose report could not be applied, so it may come again."""
        self.documents.delete(workspace, _path(provider, key))
