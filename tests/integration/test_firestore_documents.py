"""The Firestore document store, on the emulator, against the shared contract."""

import pytest
from google.cloud import firestore

from herald.store.firestore_documents import FirestoreDocuments
from herald_tools.local.emulators import Emulators
from tests.contract.documents import DocumentStoreContract

pytestmark = pytest.mark.integration


@pytest.fixture
def documents(emulators: Emulators) -> FirestoreDocuments:
    return FirestoreDocuments(firestore.Client(project=emulators.project))


class TestFirestoreDocuments(DocumentStoreContract):
    pass
