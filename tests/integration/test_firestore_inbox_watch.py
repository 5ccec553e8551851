"""The inbox watch on the Firestore emulator's listeners, against the shared contract."""

import pytest
from google.cloud import firestore

from herald.store.firestore_documents import FirestoreDocuments
from herald.store.inbox_watch import FirestoreInboxWatch
from herald_tools.local.emulators import Emulators
from tests.contract.inbox_watch import InboxWatchContract

pytestmark = pytest.mark.integration


@pytest.fixture
def client(emulators: Emulators) -> firestore.Client:
    return firestore.Client(project=emulators.project)


@pytest.fixture
def documents(client: firestore.Client) -> FirestoreDocuments:
    return FirestoreDocuments(client)


@pytest.fixture
def inbox_watch(client: firestore.Client) -> FirestoreInboxWatch:
    return FirestoreInboxWatch(client)


class TestFirestoreInboxWatch(InboxWatchContract):
    pass
