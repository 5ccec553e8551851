"""The send path's commit: the library's retry policy for a commit and its exceptions, on a
stub standing in for the channel (the request and metadata are held to the library's on
the emulator, in tests/integration/test_firestore_commit.py)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from herald.store.firestore_commit import DEADLINE_S, FIRST_DELAY_S, MULTIPLIER, Committer
from herald.store.firestore_writes import stage_create


class Failure(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._code.name.lower()

    def trailing_metadata(self) -> tuple[Any, ...]:
        return ()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Stub:
    """Fails with each of ``failures`` in turn, then answers."""

    def __init__(self, *failures: grpc.StatusCode) -> None:
        self.failures = list(failures)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, request: Any, *, timeout: float, metadata: Any) -> object:
        self.calls.append({"writes": len(request.writes), "timeout": timeout, "metadata": metadata})
        if self.failures:
            raise Failure(self.failures.pop(0))
        return object()


def batch_of(documents: int) -> firestore.WriteBatch:
    client = firestore.Client(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    batch = client.batch()
    for n in range(documents):
        stage_create(batch, client.document("things", f"t{n}"), {"n": n})
    return batch


def committer(stub: Stub, clock: Clock) -> Committer:
    return Committer(
        stub, "projects/p/databases/(default)", [("k", "v")], sleep=clock.sleep, clock=clock
    )


def test_the_writes_go_in_one_request_and_the_batch_is_emptied() -> None:
    stub, clock, batch = Stub(), Clock(), batch_of(3)
    committer(stub, clock).commit(batch)
    assert stub.calls == [{"writes": 3, "timeout": DEADLINE_S, "metadata": (("k", "v"),)}]
    assert batch._write_pbs == []


def test_unavailable_and_exhausted_are_retried_with_growing_random_delays_within_the_deadline() -> (
    None
):
    stub = Stub(
        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE
    )
    clock, batch = Clock(), batch_of(2)
    committer(stub, clock).commit(batch)
    assert len(stub.calls) == 4
    assert len(clock.slept) == 3
    # Each delay is drawn from 0 to twice the current step, which grows by 1.3.
    for attempt, slept in enumerate(clock.slept):
        assert 0 <= slept <= 2 * FIRST_DELAY_S * MULTIPLIER**attempt
    # Each try has what is left of the one deadline.
    timeouts = [call["timeout"] for call in stub.calls]
    assert timeouts[0] == DEADLINE_S
    assert timeouts == sorted(timeouts, reverse=True)
    assert timeouts[-1] == pytest.approx(DEADLINE_S - sum(clock.slept))
    assert batch._write_pbs == []


def test_other_errors_are_raised_at_once_as_the_library_raises_them() -> None:
    stub, clock, batch = Stub(grpc.StatusCode.ALREADY_EXISTS), Clock(), batch_of(1)
    with pytest.raises(exceptions.AlreadyExists) as raised:
        committer(stub, clock).commit(batch)
    assert isinstance(raised.value.__cause__, Failure)
    assert len(stub.calls) == 1 and clock.slept == []
    assert len(batch._write_pbs) == 1  # not committed: kept, as the library keeps them


def test_retries_stop_at_the_deadline_with_the_last_error() -> None:
    stub = Stub(*[grpc.StatusCode.UNAVAILABLE] * 10_000)
    clock = Clock()
    with pytest.raises(exceptions.ServiceUnavailable):
        committer(stub, clock).commit(batch_of(1))
    # Within the deadline: no try starts after it, and far fewer tries than failures.
    assert sum(clock.slept) < DEADLINE_S
    assert all(call["timeout"] > 0 for call in stub.calls)
    assert len(stub.calls) < 100
