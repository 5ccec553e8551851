"""The in-memory idempotency store passes the same contract as Firestore's."""

import uuid

import pytest

from herald.idempotency.base import StoredResponse
from herald.idempotency.memory import InMemoryIdempotencyStore
from tests.contract.idempotency import IdempotencyStoreContract, claim, claimed, new_key


@pytest.fixture
def workspace() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def store() -> InMemoryIdempotencyStore:
    return InMemoryIdempotencyStore()


class TestInMemoryIdempotencyStore(IdempotencyStoreContract):
    def test_a_response_firestore_could_not_store_is_refused_here_too(
        self, store: InMemoryIdempotencyStore, workspace: str
    ) -> None:
        won = claimed(claim(store, new_key(workspace)))
        with pytest.raises(TypeError):
            store.complete(won, StoredResponse(200, {"at": object()}))
