"""The in-memory document store against the shared contract."""

import pytest

from herald.store.documents import InMemoryDocuments
from tests.contract.documents import DocumentStoreContract


@pytest.fixture
def documents() -> InMemoryDocuments:
    return InMemoryDocuments()


class TestInMemoryDocuments(DocumentStoreContract):
    pass
