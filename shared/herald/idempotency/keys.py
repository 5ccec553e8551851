"""Reading a request's idempotency headers, and the hash its body is compared by."""

from __future__ import annotations

import datetime
import hashlib
import json
import math

from herald.idempotency.exceptions import InvalidIdempotencyHeader

KEY_HEADER = "Idempotency-Key"  # Courier's name
EXPIRATION_HEADER = "x-idempotency-expiration"
MAX_KEY_LENGTH = 255
DEFAULT_TTL_S = 24 * 3600.0  # Courier's default, and its minimum
MAX_TTL_S = 30 * 24 * 3600.0  # Courier allows a year; a month bounds what Herald keeps
# A bare number above this is epoch milliseconds (Courier's unit): in seconds it
# would be past the year 5000.
_MILLISECONDS_FROM = 1e11


def idempotency_key(value: str | None) -> str | None:
    """The header's key, or None when there is none; 400 on an empty or overlong key."""
    if value is None:
        return None
    key = value.strip()
    if not key:
        raise InvalidIdempotencyHeader(KEY_HEADER, "is empty; send a unique value, e.g. a UUID")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyHeader(
            KEY_HEADER, f"is {len(key)} characters long; the most is {MAX_KEY_LENGTH}"
        )
    return key


def expiration(value: str | None, now: float) -> float:
    """When the key may be reused (epoch seconds), from ``x-idempotency-expiration``.

    Accepts a Unix time in seconds or milliseconds, or an ISO 8601 time with its
    zone; the result is held between 24 hours and 30 days from ``now``.
    """
    if value is None:
        return now + DEFAULT_TTL_S
    text = value.strip()
    try:
        moment = float(text)
    except ValueError:
        moment = _iso_time(text)
    else:
        if not math.isfinite(moment) or moment < 0:
            raise InvalidIdempotencyHeader(EXPIRATION_HEADER, "must be a positive Unix time")
        if moment >= _MILLISECONDS_FROM:
            moment /= 1000
    return min(max(moment, now + DEFAULT_TTL_S), now + MAX_TTL_S)


def _iso_time(text: str) -> float:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidIdempotencyHeader(
            EXPIRATION_HEADER,
            "must be a Unix time (seconds or milliseconds) or an ISO 8601 time with its zone",
        ) from exc
    if moment.tzinfo is None:
        raise InvalidIdempotencyHeader(
            EXPIRATION_HEADER, "has no time zone; add one, e.g. 2030-01-01T00:00:00Z"
        )
    return moment.timestamp()


def body_hash(body: bytes) -> str:
    """SHA-256 of canonical JSON (sorted keys, no spaces), so formatting never counts;
    a body that is not JSON is hashed as it came."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "raw:" + hashlib.sha256(body).hexdigest()
    return "json:" + hashlib.sha256(canonical).hexdigest()
