"""The in-memory backend passes the same contract as Firestore's."""

import uuid

import pytest

from herald.store.memory import (
    InMemoryAttempts,
    InMemoryKeys,
    InMemoryMessages,
    InMemorySummaries,
    InMemoryTemplateMetrics,
)
from tests.contract.store import (
    AttemptRepositoryContract,
    KeyRepositoryContract,
    MessageRepositoryContract,
    SummaryRepositoryContract,
    TemplateMetricsContract,
)


@pytest.fixture
def workspace() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def messages() -> InMemoryMessages:
    return InMemoryMessages()


@pytest.fixture
def attempts() -> InMemoryAttempts:
    return InMemoryAttempts()


@pytest.fixture
def summaries(messages: InMemoryMessages) -> InMemorySummaries:
    return messages.summaries  # the list view the messages' commits keep


@pytest.fixture
def template_metrics(messages: InMemoryMessages) -> InMemoryTemplateMetrics:
    return messages.template_metrics  # counted in the messages' commits


@pytest.fixture
def keys() -> InMemoryKeys:
    return InMemoryKeys()


class TestInMemoryMessages(MessageRepositoryContract):
    pass


class TestInMemoryAttempts(AttemptRepositoryContract):
    pass


class TestInMemorySummaries(SummaryRepositoryContract):
    pass


class TestInMemoryKeys(KeyRepositoryContract):
    pass


class TestInMemoryTemplateMetrics(TemplateMetricsContract):
    pass
