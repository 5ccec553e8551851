"""Herald's exception tree.

HeraldError
├── ValidationFailed          bad input from a caller (HTTP 400)
│   └── PayloadTooLarge       a body over what Herald can store (HTTP 413)
├── Unauthenticated           missing or unknown API key (HTTP 401)
├── NotFound                  no such resource in this workspace (HTTP 404)
├── InUse                     a resource others still depend on cannot go (HTTP 409)
├── Contended                 others changed the same document meanwhile, past every retry:
│                             try again shortly (HTTP 409 with Retry-After; a consumer retries)
├── UndecodableEvent          an event that can never be processed: log and ack
└── ProviderError             raised by a provider adapter
    ├── RetryableProviderError   nothing was accepted; safe to try again
    ├── PermanentProviderError   the provider refused for good (bad address, 4xx)
    └── AmbiguousProviderError   the request left and no answer came
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self


class HeraldError(Exception):
    """Base class of every error Herald raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class ValidationFailed(HeraldError):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        first = errors[0] if errors else FieldError("body", "invalid")
        super().__init__(f"{first.field}: {first.reason}")

    @classmethod
    def of(cls, field: str, reason: str) -> Self:
        return cls([FieldError(field, reason)])


class PayloadTooLarge(ValidationFailed):
    pass


class Unauthenticated(HeraldError):
    pass


class NotFound(HeraldError):
    pass


class InUse(HeraldError):
    """A resource that others still depend on (a preference section with topics)."""


class Contended(HeraldError):
    """A transaction gave up because other writers kept changing the same document.

    Nothing was written, so trying again is safe: the API answers 409 with
    ``Retry-After``, and a consumer raises it so that the event is redelivered.
    """


class UndecodableEvent(HeraldError):
    pass


@dataclass
class ProviderError(HeraldError):
    message: str
    provider: str = ""
    code: str = field(default="")
    retry_after_s: float | None = None  # when the provider said when to come back

    def __str__(self) -> str:
        return self.message


class RetryableProviderError(ProviderError):
    pass


class PermanentProviderError(ProviderError):
    pass


class AmbiguousProviderError(ProviderError):
    pass
