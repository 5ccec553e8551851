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


class RateLimiter:
    def __init__(
        self, per_second: Mapping[str, float], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = dict(per_second)
        self.clock = clock
        self._tokens = {name: rate for name, rate in self.rates.items()}  # a second's burst
        self._updated = {name: clock() for name in self.rates}
        self._lock = threading.Lock()

    def acquire(self, name: str) -> float | None:
        """Takes a token for ``name``: None if one was free, else seconds until one is."""
        rate = self.rates.get(name)
        if rate is None:
            return None
        with self._lock:
            now = self.clock()
            tokens = min(rate, self._tokens[name] + (now - self._updated[name]) * rate)
            self._updated[name] = now
            if tokens >= 1:
                self._tokens[name] = tokens - 1
                return None
            self._tokens[name] = tokens
            return (1 - tokens) / rate
