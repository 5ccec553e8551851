"""Firestore operations as Firestore bills them, counted on a client's gRPC channel.

The emulator reports no usage, so the local stack counts from the client side:
``CountingClient`` is a ``firestore.Client`` whose emulator channel passes every
call through ``OperationCounter``. Billed as Firestore bills them: a document
read per document asked for by a get (found or not) and per document a query
returns (at least one per query), one per aggregation; a write per document
written or deleted by a commit. RPCs are counted by method too (transactions
cost a begin and a commit or rollback that are not billed).

The benchmark's stacks start each function with ``counting_environment``: the
function's PYTHONPATH begins with ``counting/``, whose ``sitecustomize`` makes every
``firestore.Client`` of the process a counting one, and its totals are written to
``<dir>/<pid>.json`` every half second while they change.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.cloud import firestore

COUNTS_DIR_SETTING = "HERALD_FIRESTORE_COUNTS_DIR"
WRITE_EVERY_S = 0.5


@dataclass
class FirestoreCounts:
    reads: int = 0
    writes: int = 0
    deletes: int = 0
    rpcs: Counter[str] = field(default_factory=Counter)

    def __add__(self, other: FirestoreCounts) -> FirestoreCounts:
        return FirestoreCounts(
            self.reads + other.reads,
            self.writes + other.writes,
            self.deletes + other.deletes,
            self.rpcs + other.rpcs,
        )

    def __sub__(self, other: FirestoreCounts) -> FirestoreCounts:
        rpcs = Counter(self.rpcs)
        rpcs.subtract(other.rpcs)
        return FirestoreCounts(
            self.reads - other.reads,
            self.writes - other.writes,
            self.deletes - other.deletes,
            +rpcs,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "deletes": self.deletes,
            "rpcs": dict(self.rpcs),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FirestoreCounts:
        return cls(raw["reads"], raw["writes"], raw["deletes"], Counter(raw["rpcs"]))


def _has(message: Any, name: str) -> bool:
    """Whether a field is set, on a proto-plus message (what the client passes) or a raw one."""
    return bool(message.HasField(name)) if hasattr(message, "HasField") else name in message


class _CountedStream:
    """A server stream passed through as it is consumed, each response counted."""

    def __init__(self, call: Any, count: Any) -> None:
        self._call, self._count = call, count

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        response = next(self._call)
        self._count(response)
        return response

    def __getattr__(self, name: str) -> Any:  # cancel(), trailing_metadata(), ...
        return getattr(self._call, name)


class OperationCounter(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts = FirestoreCounts()

    def reset(self) -> None:
        """From zero, with a new lock: what a forked child starts from."""
        self._lock = threading.Lock()
        self.counts = FirestoreCounts()

    def snapshot(self) -> FirestoreCounts:
        with self._lock:
            return self.counts + FirestoreCounts()

    def _add(self, method: str, reads: int = 0, writes: int = 0, deletes: int = 0) -> None:
        with self._lock:
            self.counts.rpcs[method] += 1
            self.counts.reads += reads
            self.counts.writes += writes
            self.counts.deletes += deletes

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        method = details.method.rsplit("/", 1)[-1]
        if method == "Commit":
            deletes = sum(1 for write in request.writes if _has(write, "delete"))
            self._add(method, writes=len(request.writes) - deletes, deletes=deletes)
        else:
            self._add(method)
        return continuation(details, request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        method = details.method.rsplit("/", 1)[-1]
        call = continuation(details, request)
        if method == "BatchGetDocuments":
            self._add(method, reads=len(request.documents))
            return call
        if method == "RunAggregationQuery":
            self._add(method, reads=1)
            return call
        if method != "RunQuery":
            self._add(method)
            return call
        # A query is billed a read per document it returns, and one when it returns none.
        self._add(method, reads=1)
        returned = [0]

        def count(response: Any) -> None:
            if _has(response, "document"):
                returned[0] += 1
                if returned[0] > 1:
                    self._add_read()

        return _CountedStream(call, count)

    def _add_read(self) -> None:
        with self._lock:
            self.counts.reads += 1


class InterceptedClient(firestore.Client):
    """A Firestore client (on the emulator) whose every call passes through ``interceptor``."""

    def __init__(self, interceptor: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.interceptor = interceptor

    def _emulator_channel(self, transport: Any) -> Any:
        channel = super()._emulator_channel(transport)  # type: ignore[no-untyped-call]
        return grpc.intercept_channel(channel, self.interceptor)


class CountingClient(InterceptedClient):
    """A Firestore client (on the emulator) whose every call ``counter`` counts."""

    interceptor: OperationCounter

    def __init__(self, counter: OperationCounter, **kwargs: Any) -> None:
        super().__init__(counter, **kwargs)

    @property
    def counter(self) -> OperationCounter:
        return self.interceptor


def read_counts(directory: Path) -> FirestoreCounts:
    """The totals every process has written to ``directory`` so far."""
    total = FirestoreCounts()
    for path in sorted(directory.glob("*.json")):
        try:
            total = total + FirestoreCounts.from_json(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # being replaced this very moment: the next read has it
    return total


def counting_client(project: str, directory: Path) -> CountingClient:
    """A counting client whose totals a daemon thread keeps written to ``directory``, as
    ``<pid>.json``: in a process forked after it was made (gunicorn's worker, when the
    function's module made it in the master), counted from zero under the worker's pid."""
    counter = OperationCounter()
    directory.mkdir(parents=True, exist_ok=True)

    def keep_written() -> None:
        path = directory / f"{os.getpid()}.json"
        written: dict[str, Any] | None = None
        while True:
            current = counter.snapshot().to_json()
            if current != written:
                partial = path.with_suffix(".tmp")
                partial.write_text(json.dumps(current))
                partial.replace(path)
                written = current
            time.sleep(WRITE_EVERY_S)

    def start() -> None:
        threading.Thread(target=keep_written, daemon=True, name="firestore-counts").start()

    def in_the_child() -> None:
        # The writer thread is not forked, and the lock may have been held by it.
        counter.reset()
        start()

    os.register_at_fork(after_in_child=in_the_child)
    start()
    return CountingClient(counter, project=project)


SITE_DIR = Path(__file__).parent / "counting"


def counting_environment(directory: Path) -> dict[str, str]:
    """A function's environment additions that make its Firestore clients count."""
    path = [str(SITE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {COUNTS_DIR_SETTING: str(directory), "PYTHONPATH": os.pathsep.join(path)}


def install_from_environment() -> None:
    """With ``COUNTS_DIR_SETTING`` set, ``firestore.Client`` makes counting clients."""
    directory = os.environ.get(COUNTS_DIR_SETTING)
    if not directory:
        return

    def client(*args: Any, project: str | None = None, **kwargs: Any) -> CountingClient:
        return counting_client(project or "herald-local", Path(directory))

    firestore.Client = client  # type: ignore[misc,assignment]
