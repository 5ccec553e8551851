"""An in-memory idempotency store, thread-safe, for tests and single-process use."""

from __future__ import annotations

import json
import threading
import uuid

from herald.idempotency.base import (
    Claimed,
    ClaimOutcome,
    IdempotencyKey,
    IdempotencyRecord,
    StoredResponse,
    completed,
    decide_claim,
)
from herald.idempotency.exceptions import ClaimLost


class InMemoryIdempotencyStore:
    def __init__(self) -> None:
        self.records: dict[IdempotencyKey, IdempotencyRecord] = {}
        self._lock = threading.Lock()

    def claim(
        self,
        key: IdempotencyKey,
        body_hash: str,
        *,
        now: float,
        lease_s: float,
        expires_at: float,
    ) -> ClaimOutcome:
        token = uuid.uuid4().hex
        with self._lock:
            outcome, write = decide_claim(
                self.records.get(key), key, body_hash, token, now, lease_s, expires_at
            )
            if write is not None:
                self.records[key] = write
            return outcome

    def complete(self, claim: Claimed, response: StoredResponse) -> None:
        with self._lock:
            record = self.records.get(claim.key)
            if record is None or record.token != claim.token:
                raise ClaimLost(
                    f"idempotency key {claim.key.key!r} is no longer held by this claim"
                )
            # A JSON round trip, as Firestore stores it: a body that cannot be stored fails here too.
            copied = StoredResponse(
                response.status, json.loads(json.dumps(response.body)), dict(response.headers)
            )
            self.records[claim.key] = completed(record, copied)

    def release(self, claim: Claimed) -> None:
        with self._lock:
            record = self.records.get(claim.key)
            if record is not None and record.token == claim.token:
                del self.records[claim.key]
