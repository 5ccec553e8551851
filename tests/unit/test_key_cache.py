"""The api remembers which workspace a key opens, for a bounded time and number of keys."""

from __future__ import annotations

from herald.api.key_cache import CachedKeys
from herald.ids import hash_api_key
from herald.store.memory import InMemoryKeys


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingKeys(InMemoryKeys):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def workspace_for(self, key_hash: str) -> str | None:
        self.reads += 1
        return super().workspace_for(key_hash)


def test_a_key_is_read_once_per_period_and_a_revoked_one_stops_within_it() -> None:
    keys, clock = CountingKeys(), Clock()
    cached = CachedKeys(keys, ttl_s=30, clock=clock)
    record = keys.put(hash_api_key("hk_a"), "ws1")
    assert [cached.workspace_for(record.key_hash) for _ in range(3)] == ["ws1"] * 3
    assert keys.reads == 1
    keys.revoke(record.key_id)  # elsewhere: the operator's CLI
    clock.now += 29.9
    assert cached.workspace_for(record.key_hash) == "ws1"  # within the stated time
    clock.now += 0.2
    assert cached.workspace_for(record.key_hash) is None
    assert keys.reads == 2


def test_a_revocation_through_the_cache_takes_effect_at_once() -> None:
    keys = CountingKeys()
    cached = CachedKeys(keys, ttl_s=30, clock=Clock())
    record = keys.put(hash_api_key("hk_a"), "ws1")
    assert cached.workspace_for(record.key_hash) == "ws1"
    cached.revoke(record.key_id)
    assert cached.workspace_for(record.key_hash) is None


def test_unknown_keys_are_never_kept_and_known_ones_are_bounded() -> None:
    keys, clock = CountingKeys(), Clock()
    cached = CachedKeys(keys, ttl_s=30, max_keys=2, clock=clock)
    for _ in range(3):
        assert cached.workspace_for("0" * 64) is None
    assert keys.reads == 3  # a new key is usable at once; wrong keys push nothing out
    hashes = [keys.put(hash_api_key(f"hk_{i}"), "ws1").key_hash for i in range(3)]
    for key_hash in hashes:
        cached.workspace_for(key_hash)
    reads = keys.reads
    cached.workspace_for(hashes[2])
    cached.workspace_for(hashes[1])
    assert keys.reads == reads  # the two most recent are kept
    cached.workspace_for(hashes[0])
    assert keys.reads == reads + 1  # the oldest was let go


def test_no_period_means_every_request_reads() -> None:
    keys = CountingKeys()
    cached = CachedKeys(keys, ttl_s=0)
    record = keys.put(hash_api_key("hk_a"), "ws1")
    cached.workspace_for(record.key_hash)
    cached.workspace_for(record.key_hash)
    assert keys.reads == 2
