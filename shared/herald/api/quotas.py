"""Each workspace's quota on authenticated POSTs, counted in this api instance.

A token bucket per workspace, in memory: no Firestore write per request and no
shared counter document to contend on. The limit is the one in effect for the
workspace (``herald.resources.quotas``: the operator's ceiling, or the default,
and the workspace's own under it), read through the api's settings cache. With ``instances`` > 1 each instance enforces that
share of the rate and burst, so the whole holds when the load balancer spreads a
workspace's requests evenly; with 1, each instance enforces all of it and N
instances let a workspace reach N times its quota (see the Quotas page).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from herald.domain.token_bucket import TokenBucket
from herald.store.base import WorkspaceQuota

# Buckets kept at once; the least recently used go first (and come back full).
MAX_WORKSPACES = 10_000


@dataclass(frozen=True)
class QuotaDecision:
    """One request counted: whether it passes, and the headers that say where the
    workspace stands."""

    allowed: bool
    limit: int  # the bucket's size: requests that may come at once
    remaining: int  # requests that would pass right after this one
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int | None  # refused: whole seconds until one more would pass

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }
        if self.retry_after_s is not None:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class WorkspaceQuotas:
    def __init__(
        self,
        quota_of: Callable[[str], WorkspaceQuota],
        instances: int = 1,
        clock: Callable[[], float] = time.monotonic,
        max_workspaces: int = MAX_WORKSPACES,
    ) -> None:
        self.quota_of = quota_of
        self.instances = instances
        self.clock = clock
        self.max_workspaces = max_workspaces
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def share(self, quota: WorkspaceQuota) -> tuple[float, int]:
        """This instance's rate and burst of ``quota``."""
        return quota.rate / self.instances, max(1, quota.burst // self.instances)

    def take(self, workspace: str) -> QuotaDecision:
        rate, burst = self.share(self.quota_of(workspace))
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(workspace)
            if bucket is None:
                bucket = self._buckets[workspace] = TokenBucket.full(rate, burst, now)
            elif (bucket.rate, bucket.burst) != (rate, burst):
                # Its quota changed: it keeps the requests it had left (at most the new
                # burst), so setting a quota back and forth never refills a bucket.
                bucket = self._buckets[workspace] = bucket.resized(rate, burst, now)
            self._buckets.move_to_end(workspace)
            while len(self._buckets) > self.max_workspaces:
                self._buckets.popitem(last=False)
            wait_s = bucket.take(now)
            return QuotaDecision(
                allowed=wait_s is None,
                limit=burst,
                remaining=bucket.remaining,
                reset_s=math.ceil(bucket.until_full_s),
                retry_after_s=None if wait_s is None else max(1, math.ceil(wait_s)),
            )
