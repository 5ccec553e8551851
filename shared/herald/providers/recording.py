"""Test mode's recording sink: a provider's stand-in that keeps what it is handed.

In a test namespace (``herald.domain.testmode``) delivery calls this instead of the
provider it chose, with that provider's name, so a test send goes through routing,
failover order, suppression and the attempt records as a live one does, and
nothing leaves Herald.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from herald.domain.message import ChannelOutcome
from herald.providers.base import Dispatch, Provider, Receipt

# Herald's own providers, which reach no one outside it: a test namespace's message goes
# through them as a live one does (its inbox is the test namespace's, read with user
# tokens issued with a test key).
HERALD_OWN_PROVIDERS = frozenset({"inbox"})


def stand_in(provider: Provider, recorder: DeliveryRecorder) -> Provider:
    """What a test namespace's message is handed to instead of ``provider``."""
    if provider.name in HERALD_OWN_PROVIDERS:
        return provider
    return RecordingProvider(provider, recorder)


class DeliveryRecorder(Protocol):
    def record(self, dispatch: Dispatch, channel: str, provider: str) -> None:
        """Keeps what ``provider`` would have been handed (idempotent per attempt)."""
        ...


class RecordingProvider:
    """Stands in for ``provider``: records the dispatch, calls nothing, answers SENT."""

    def __init__(self, provider: Provider, recorder: DeliveryRecorder) -> None:
        self.name = provider.name
        self.channel = provider.channel
        self.recorder = recorder

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        # Recording is idempotent, so a failed write is safe to retry: the handoff comes
        # once the record is there.
        self.recorder.record(dispatch, self.channel, self.name)
        handoff()
        return Receipt(ChannelOutcome.SENT, reference=f"test-{dispatch.attempt_key}")
