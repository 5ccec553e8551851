"""Spans are flushed when an instance's last invocation in flight ends, not by each one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from herald.observability import tracing


class CountingProvider:
    def __init__(self) -> None:
        self.flushes = 0

    def force_flush(self, timeout_millis: int) -> bool:
        self.flushes += 1
        return True


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProvider]:
    counting = CountingProvider()
    monkeypatch.setattr(tracing, "_provider", counting)
    yield counting


def test_one_invocation_at_a_time_is_flushed_each_time(provider: CountingProvider) -> None:
    for _ in range(3):
        with tracing.invocation():
            pass
    assert provider.flushes == 3


def test_overlapping_invocations_are_flushed_once_by_the_last_to_end(
    provider: CountingProvider,
) -> None:
    first_in = threading.Event()
    second_done = threading.Event()

    def first() -> None:
        with tracing.invocation():
            first_in.set()
            assert second_done.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with tracing.invocation():
        pass
    # The second ended while the first was still in flight: nothing flushed yet.
    assert provider.flushes == 0
    second_done.set()
    thread.join(10)
    assert provider.flushes == 1


def test_an_invocation_that_raises_is_flushed_too(provider: CountingProvider) -> None:
    with pytest.raises(RuntimeError), tracing.invocation():
        raise RuntimeError("failed")
    assert provider.flushes == 1
    with tracing.invocation():
        pass
    assert provider.flushes == 2  # the count went back to zero
