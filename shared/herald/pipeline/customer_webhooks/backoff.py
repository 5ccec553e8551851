"""When a failed delivery is tried again, and when it is given up."""

from __future__ import annotations

from dataclasses import dataclass

RETRY_HORIZON_S = 3 * 24 * 3600  # then the delivery has failed for good


@dataclass(frozen=True)
class Backoff:
    base_s: float = 30.0
    max_s: float = 3600.0
    horizon_s: float = RETRY_HORIZON_S

    def delay_s(self, attempts: int, retry_after_s: float | None = None) -> float:
        """After ``attempts`` failed tries: doubling from ``base_s`` up to ``max_s``.

        An endpoint's ``Retry-After`` (a 429 or 503) wins: it said when to come back.
        """
        if retry_after_s is not None:
            return max(1.0, retry_after_s)
        return float(min(self.base_s * 2 ** max(0, attempts - 1), self.max_s))

    def next_try_ms(
        self, first_try_ms: int, now_ms: int, attempts: int, retry_after_s: float | None = None
    ) -> int | None:
        """When to try again; None once that would be past the horizon (give up)."""
        due = now_ms + int(self.delay_s(attempts, retry_after_s) * 1000)
        return due if due <= first_try_ms + int(self.horizon_s * 1000) else None
