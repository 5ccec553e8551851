"""The idempotency utility's errors.

HeraldError
└── ValidationFailed                  (HTTP 400, from ``herald.errors``)
    └── InvalidIdempotencyHeader      a bad Idempotency-Key or x-idempotency-expiration
HeraldError
└── IdempotencyError
    └── ClaimLost                     the caller's claim was taken over or has expired

A key reused with another body, or a duplicate of a request still in flight,
is no exception: the store reports them as claim outcomes (``Mismatch``,
``InFlight``) and ``herald.api.idempotency`` answers 422 and 409.
"""

from __future__ import annotations

from herald.errors import FieldError, HeraldError, ValidationFailed


class InvalidIdempotencyHeader(ValidationFailed):
    def __init__(self, header: str, reason: str) -> None:
        super().__init__([FieldError(header, reason)])


class IdempotencyError(HeraldError):
    """Base class of the idempotency utility's own failures."""


class ClaimLost(IdempotencyError):
    """The record no longer belongs to this claim: its lease ran out and a retry took it."""
