"""The in-memory inbox watch against the shared contract."""

import pytest

from herald.store.documents import InMemoryDocuments
from herald.store.inbox_watch import InMemoryInboxWatch
from tests.contract.inbox_watch import InboxWatchContract


@pytest.fixture
def documents() -> InMemoryDocuments:
    return InMemoryDocuments()


@pytest.fixture
def inbox_watch(documents: InMemoryDocuments) -> InMemoryInboxWatch:
    return InMemoryInboxWatch(documents)


class TestInMemoryInboxWatch(InboxWatchContract):
    pass
