"""Behaviour every idempotency store must have; run against each backend."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from herald.errors import Contended
from herald.idempotency.base import (
    Claimed,
    ClaimOutcome,
    IdempotencyKey,
    IdempotencyStore,
    InFlight,
    Mismatch,
    Replay,
    StoredResponse,
)
from herald.idempotency.exceptions import ClaimLost

NOW = 1_900_000_000.0
LEASE_S = 60.0
DAY_S = 24 * 3600.0
RESPONSE = StoredResponse(202, {"requestId": "r1", "nested": [{"ü": [1, 2]}]}, {"x-request": "r1"})


def new_key(workspace: str) -> IdempotencyKey:
    return IdempotencyKey(workspace, "POST", "/send", "key-" + uuid.uuid4().hex)


def claim(
    store: IdempotencyStore, key: IdempotencyKey, body_hash: str = "h1", now: float = NOW
) -> ClaimOutcome:
    return store.claim(key, body_hash, now=now, lease_s=LEASE_S, expires_at=now + DAY_S)


def claimed(outcome: ClaimOutcome) -> Claimed:
    assert isinstance(outcome, Claimed), outcome
    return outcome


class IdempotencyStoreContract:
    def test_the_first_claim_wins_and_a_duplicate_in_flight_learns_when_its_lease_ends(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        first = claimed(claim(store, key))
        assert first.key == key
        assert claim(store, key, now=NOW + 1) == InFlight(NOW + LEASE_S)

    def test_a_completed_claim_replays_its_response(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        store.complete(claimed(claim(store, key)), RESPONSE)
        assert claim(store, key, now=NOW + 10) == Replay(RESPONSE)
        assert claim(store, key, now=NOW + DAY_S - 1) == Replay(RESPONSE)

    def test_another_body_under_the_same_key_is_a_mismatch(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        first = claimed(claim(store, key))
        assert claim(store, key, body_hash="h2") == Mismatch()
        store.complete(first, RESPONSE)
        assert claim(store, key, body_hash="h2") == Mismatch()

    def test_keys_are_scoped_by_workspace_method_and_path(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        claimed(claim(store, key))
        for other in (
            IdempotencyKey(workspace + "-other", key.method, key.path, key.key),
            IdempotencyKey(workspace, "PUT", key.path, key.key),
            IdempotencyKey(workspace, key.method, "/other", key.key),
        ):
            claimed(claim(store, other))

    def test_a_released_claim_lets_a_retry_run_again(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        store.release(claimed(claim(store, key)))
        claimed(claim(store, key, body_hash="h2"))  # the key holds nothing any more

    def test_an_expired_record_counts_as_absent(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        store.complete(claimed(claim(store, key)), RESPONSE)
        claimed(claim(store, key, body_hash="h2", now=NOW + DAY_S))

    def test_a_lease_that_ran_out_is_taken_over_and_its_holder_cannot_finish(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        crashed = claimed(claim(store, key))
        assert claim(store, key, body_hash="h2", now=NOW + LEASE_S) == Mismatch()
        retry = claimed(claim(store, key, now=NOW + LEASE_S))
        assert retry.token != crashed.token
        with pytest.raises(ClaimLost):
            store.complete(crashed, StoredResponse(202, {"requestId": "late"}))
        store.release(crashed)  # a no-op: the record is the retry's
        assert claim(store, key, now=NOW + LEASE_S + 1) == InFlight(NOW + 2 * LEASE_S)
        store.complete(retry, RESPONSE)
        assert claim(store, key, now=NOW + LEASE_S + 2) == Replay(RESPONSE)

    def test_a_takeover_keeps_the_first_expiry(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        key = new_key(workspace)
        claimed(claim(store, key))
        later = NOW + LEASE_S
        retry = claimed(store.claim(key, "h1", now=later, lease_s=LEASE_S, expires_at=later + 9e5))
        store.complete(retry, RESPONSE)
        assert claim(store, key, now=NOW + DAY_S - 1) == Replay(RESPONSE)
        claimed(claim(store, key, now=NOW + DAY_S))

    def test_of_racing_identical_claims_at_most_one_wins_and_the_rest_are_told_to_retry(
        self, store: IdempotencyStore, workspace: str
    ) -> None:
        """Every racer's outcome is collected: one claim wins and the others find it in
        flight, except those told ``Contended`` (nothing written; they may try again)."""
        key = new_key(workspace)
        racers = 8
        start = threading.Barrier(racers)

        def race(_: int) -> ClaimOutcome | Contended:
            start.wait(timeout=10)
            try:
                return claim(store, key)
            except Contended as contended:
                return contended

        with ThreadPoolExecutor(racers) as pool:
            outcomes = list(pool.map(race, range(racers)))
        won = [o for o in outcomes if isinstance(o, Claimed)]
        in_flight = [o for o in outcomes if isinstance(o, InFlight)]
        contended = [o for o in outcomes if isinstance(o, Contended)]
        assert len(won) + len(in_flight) + len(contended) == racers
        assert len(won) <= 1
        assert in_flight == [InFlight(NOW + LEASE_S)] * len(in_flight)
        if not won:
            assert not in_flight  # nobody holds the key: a retry claims it
        after = claim(store, key, now=NOW + 1)
        if won:
            assert after == InFlight(NOW + LEASE_S)
        else:
            claimed(after)
