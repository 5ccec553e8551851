"""Per-provider rate limits: a token bucket per provider, in each instance.

A provider's own 429 (with ``Retry-After``) is always honoured through the
durable timer; these limits keep Herald under a provider's documented rate
before it has to say so. They hold per instance: with at most N deliver
instances (a Terraform setting), a provider sees at most N times the rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from herald.domain.token_bucket import TokenBucket


class RateLimiter:
    def __init__(
        self, per_second: Mapping[str, float], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = dict(per_second)
        self.clock = clock
        now = clock()
        # A second's burst, and at least one call: a rate below 1/s still lets calls through.
        self._buckets = {
            name: TokenBucket.full(rate, max(rate, 1.0), now) for name, rate in self.rates.items()
        }
        self._lock = threading.Lock()

    def acquire(self, name: str) -> float | None:
        """Takes a token for ``name``: None if one was free, else seconds until one is."""
        bucket = self._buckets.get(name)
        if bucket is None:
            return None
        with self._lock:
            return bucket.take(self.clock())
