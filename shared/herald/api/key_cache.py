"""Which workspace an API key opens, remembered by an api instance for a while.

Every request needs it, and reading it costs a Firestore round trip. An instance
keeps each answer ``ttl_s`` seconds, for at most ``max_keys`` keys (the least
recently used go first): a key revoked stops working everywhere within
``ttl_s``. Only keys that open a workspace are kept: an unknown or revoked key is
read again each time, so that a key created is usable at once and a stream of
wrong keys cannot push the good ones out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from herald.config import DEFAULT_API_KEY_CACHE_S
from herald.store.base import ApiKeyRecord, KeyRepository

MAX_KEYS = 10_000


class CachedKeys:
    def __init__(
        self,
        keys: KeyRepository,
        ttl_s: float = DEFAULT_API_KEY_CACHE_S,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys = keys
        self.ttl_s = ttl_s
        self.max_keys = max_keys
        self.clock = clock
        self._known: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def workspace_for(self, key_hash: str) -> str | None:
        now = self.clock()
        with self._lock:
            known = self._known.get(key_hash)
            if known is not None and known[0] > now:
                self._known.move_to_end(key_hash)
                return known[1]
        workspace = self.keys.workspace_for(key_hash)
        if workspace is not None and self.ttl_s > 0:
            with self._lock:
                self._known[key_hash] = (now + self.ttl_s, workspace)
                self._known.move_to_end(key_hash)
                while len(self._known) > self.max_keys:
                    self._known.popitem(last=False)
        return workspace

    def put(self, key_hash: str, workspace: str, hint: str = "") -> ApiKeyRecord:
        return self.keys.put(key_hash, workspace, hint)

    def list(self, workspace: str | None = None) -> list[ApiKeyRecord]:
        return self.keys.list(workspace)

    def revoke(self, key_id: str) -> ApiKeyRecord | None:
        revoked = self.keys.revoke(key_id)
        if revoked is not None:
            with self._lock:
                self._known.pop(revoked.key_hash, None)
        return revoked
