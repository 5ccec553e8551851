"""The Firestore backend, on the emulator, against the shared contract."""

import pytest
from google.cloud import firestore

from herald.local.emulators import Emulators
from herald.store.firestore import FirestoreAttempts, FirestoreMessages, FirestoreSummaries
from tests.contract.store import (
    AttemptRepositoryContract,
    MessageRepositoryContract,
    SummaryRepositoryContract,
    create,
    new_message,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(emulators: Emulators) -> firestore.Client:
    return firestore.Client(project=emulators.project)


@pytest.fixture
def messages(client: firestore.Client) -> FirestoreMessages:
    return FirestoreMessages(client)


@pytest.fixture
def attempts(client: firestore.Client) -> FirestoreAttempts:
    return FirestoreAttempts(client)


@pytest.fixture
def summaries(client: firestore.Client) -> FirestoreSummaries:
    return FirestoreSummaries(client)


class TestFirestoreMessages(MessageRepositoryContract):
    def test_outbox_records_carry_an_unpublished_mark_until_published(
        self, messages: FirestoreMessages, client: firestore.Client, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        ref = messages.message(workspace, message.id).collection("events").document("00000001")
        assert ref.get().to_dict()["published_ms"] is None
        messages.mark_published(workspace, message.id, 1)
        assert ref.get().to_dict()["published_ms"] > 0

    def test_receipts_carry_an_expiry_for_the_ttl_policy(
        self, messages: FirestoreMessages, workspace: str
    ) -> None:
        from tests.contract.store import route

        message = new_message(workspace)
        create(messages, message)
        messages.transition(workspace, message.id, "render", "e1", route)
        [receipt] = messages.message(workspace, message.id).collection("receipts").stream()
        assert receipt.id == "render~e1"
        assert receipt.to_dict()["expires_at"].timestamp() > 0


class TestFirestoreAttempts(AttemptRepositoryContract):
    pass


class TestFirestoreSummaries(SummaryRepositoryContract):
    pass
