"""Idempotency records, the outcomes of a claim, and the store interface.

A request with an ``Idempotency-Key`` first *claims* its key. The claim either
wins (``Claimed``: run the request, then ``complete`` or ``release``), or finds
the key already used: the stored response (``Replay``), the first request
still running (``InFlight``), or another body under the same key
(``Mismatch``). ``decide_claim`` is that rule; each backend applies it
atomically, so of two racing identical requests exactly one wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class IdempotencyKey:
    """A key is scoped to its workspace, method and path: the same key elsewhere is another."""

    workspace: str
    method: str
    path: str
    key: str

    @property
    def digest(self) -> str:
        """The record's id: fixed length, whatever characters the key holds."""
        scoped = json.dumps([self.method, self.path, self.key], ensure_ascii=False)
        return hashlib.sha256(scoped.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any  # JSON-serialisable, as the API answers it
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a backend keeps per key. Times are epoch seconds."""

    body_hash: str
    expires_at: float  # the key may be reused from then on
    token: str  # the claim holding the record while it runs
    lease_until: float  # an in-flight holder that outlives this is presumed dead
    response: StoredResponse | None = None  # None while in flight


@dataclass(frozen=True)
class Claimed:
    """The caller runs the request; it must then ``complete`` or ``release`` the claim."""

    key: IdempotencyKey
    token: str


@dataclass(frozen=True)
class Replay:
    response: StoredResponse


@dataclass(frozen=True)
class InFlight:
    lease_until: float


@dataclass(frozen=True)
class Mismatch:
    """The key was first used with another body."""


ClaimOutcome = Claimed | Replay | InFlight | Mismatch


def decide_claim(
    current: IdempotencyRecord | None,
    key: IdempotencyKey,
    body_hash: str,
    token: str,
    now: float,
    lease_s: float,
    expires_at: float,
) -> tuple[ClaimOutcome, IdempotencyRecord | None]:
    """The claim rule: the outcome, and the record to write (None: write nothing).

    An expired record counts as absent (TTL deletion can lag a day). A holder
    whose lease ran out is presumed crashed and a retry of the same body takes
    over; its late ``complete`` then finds the record no longer its own.
    """
    if current is not None and current.expires_at > now:
        if current.body_hash != body_hash:
            return Mismatch(), None
        if current.response is not None:
            return Replay(current.response), None
        if current.lease_until > now:
            return InFlight(current.lease_until), None
        # A takeover keeps the first expiry: a key's lifetime is set once, as in Courier.
        expires_at = current.expires_at
    record = IdempotencyRecord(body_hash, expires_at, token, now + lease_s)
    return Claimed(key, token), record


def completed(record: IdempotencyRecord, response: StoredResponse) -> IdempotencyRecord:
    return IdempotencyRecord(record.body_hash, record.expires_at, "", 0.0, response)


class IdempotencyStore(Protocol):
    def claim(
        self,
        key: IdempotencyKey,
        body_hash: str,
        *,
        now: float,
        lease_s: float,
        expires_at: float,
    ) -> ClaimOutcome:
        """Applies ``decide_claim`` atomically to the key's record."""
        ...

    def complete(self, claim: Claimed, response: StoredResponse) -> None:
        """Stores the response for replay; raises ``ClaimLost`` if the record is no longer ours."""
        ...

    def release(self, claim: Claimed) -> None:
        """Forgets the claim so a retry runs again; a no-op if the record is no longer ours."""
        ...
