"""The Firestore idempotency store, on the emulator, against the shared contract."""

import pytest
from google.cloud import firestore

from herald.idempotency.firestore import FirestoreIdempotencyStore
from herald_tools.local.emulators import Emulators
from tests.contract.idempotency import (
    RESPONSE,
    IdempotencyStoreContract,
    claim,
    claimed,
    new_key,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(emulators: Emulators) -> firestore.Client:
    return firestore.Client(project=emulators.project)


@pytest.fixture
def store(client: firestore.Client) -> FirestoreIdempotencyStore:
    return FirestoreIdempotencyStore(client)


class TestFirestoreIdempotencyStore(IdempotencyStoreContract):
    def test_records_live_under_the_workspace_with_an_expiry_for_the_ttl_policy(
        self, store: FirestoreIdempotencyStore, client: firestore.Client, workspace: str
    ) -> None:
        key = new_key(workspace)
        store.complete(claimed(claim(store, key)), RESPONSE)
        [doc] = client.collection(f"workspaces/{workspace}/idempotency").stream()
        assert doc.id == key.digest and len(doc.id) == 64
        stored = doc.to_dict()
        assert stored is not None
        assert stored["expires_at"].timestamp() == pytest.approx(1_900_000_000 + 24 * 3600)
        assert (stored["method"], stored["path"], stored["key"]) == ("POST", "/send", key.key)
