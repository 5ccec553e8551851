"""The one token bucket: a sustained rate with a burst, refilled as time passes.

Pure arithmetic over a clock reading the caller passes in; the caller holds
whatever lock its threads need. Providers' rate limits
(``herald.pipeline.ratelimit``) and workspaces' quotas (``herald.api.quotas``)
both count with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float  # tokens added per second
    burst: float  # the most tokens it holds: requests that may come at once
    tokens: float
    updated: float  # the clock reading ``tokens`` was counted at

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a rate above 0 and a burst of at least 1")
        return cls(rate, burst, burst, now)

    def resized(self, rate: float, burst: float, now: float) -> TokenBucket:
        """A bucket of the new size holding what this one holds now, up to its burst."""
        self._refill(now)
        resized = TokenBucket.full(rate, burst, self.updated)
        resized.tokens = min(self.tokens, burst)
        return resized

    def take(self, now: float) -> float | None:
        """Takes a token: None if one was there, else the seconds until one is."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate

    @property
    def remaining(self) -> int:
        """Whole tokens left: requests that would pass now."""
        return math.floor(self.tokens)

    @property
    def until_full_s(self) -> float:
        """Seconds until the bucket is full again, if nothing takes from it."""
        return (self.burst - self.tokens) / self.rate

    def _refill(self, now: float) -> None:
        # A clock that steps back adds nothing rather than taking tokens away.
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)
