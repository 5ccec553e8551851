"""The retry backoff: how long to wait after a failed try, doubling up to a ceiling.

One rule for every retry Herald schedules (a delivery to a provider, a customer
webhook, the local stack's trigger router); what a caller does with the
other side's ``Retry-After``, or when it gives up, stays the caller's policy.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Past this many doublings every delay is the ceiling anyway; the exponent stays small.
_MAX_DOUBLINGS = 64


@dataclass(frozen=True)
class Backoff:
    """``base_s`` after the first failed try, twice that after the second, ... up to
    ``max_s``. ``jitter`` spreads each delay by up to that fraction either way, so the
    retries of many failures at once do not all come back together."""

    base_s: float = 30.0
    max_s: float = 3600.0
    jitter: float = 0.0

    def delay_s(self, tries: int) -> float:
        """The wait after ``tries`` failed tries (the first wait after one)."""
        doublings = min(max(tries - 1, 0), _MAX_DOUBLINGS)
        delay = min(self.max_s, math.ldexp(self.base_s, doublings))  # base * 2**doublings
        if self.jitter:
            delay *= random.uniform(1 - self.jitter, 1 + self.jitter)
        return delay

    def delay_ms(self, tries: int) -> int:
        return int(self.delay_s(tries) * 1000)
