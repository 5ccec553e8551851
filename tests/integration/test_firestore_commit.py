"""The send path's commit on the emulator: the request and metadata the library sends for
the same batch, the documents written, and the library's exceptions."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import firestore

from herald.store.firestore_commit import Committer
from herald.store.firestore_writes import stage_create, stage_set
from herald_tools.local.emulators import Emulators
from herald_tools.local.firestore_counts import InterceptedClient

pytestmark = pytest.mark.integration


class Recorder(grpc.UnaryUnaryClientInterceptor):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], bytes]] = []

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        raw = request._pb if hasattr(request, "_pb") else request
        self.calls.append((details.method, dict(details.metadata or ()), raw.SerializeToString()))
        return continuation(details, request)


@pytest.fixture
def client(emulators: Emulators) -> InterceptedClient:
    return InterceptedClient(Recorder(), project="it-commit-" + uuid.uuid4().hex[:8])


def staged(client: firestore.Client, names: list[str]) -> firestore.WriteBatch:
    batch = client.batch()
    for n, name in enumerate(names):
        data = {"n": n, "nested": {"list": [1, "two", None, True]}}
        stage_set(batch, client.document("things", name), data)
    return batch


def test_the_request_and_its_metadata_are_the_library_s(client: InterceptedClient) -> None:
    names = ["a", "b"]
    staged(client, names).commit()
    Committer.for_client(client).commit(staged(client, names))
    (method, by_library, request), (ours_method, ours, ours_request) = client.interceptor.calls
    assert ours_method == method == "/google.firestore.v1.Firestore/Commit"
    assert ours_request == request
    assert ours == by_library
    assert {"google-cloud-resource-prefix", "x-goog-request-params", "x-goog-api-client"} <= set(
        ours
    )


def test_the_writes_are_committed_together(client: InterceptedClient) -> None:
    batch = client.batch()
    for name in ("c", "d"):
        stage_create(batch, client.document("things", name), {"name": name})
    Committer.for_client(client).commit(batch)
    assert batch._write_pbs == []
    assert [client.document("things", n).get().to_dict() for n in ("c", "d")] == [
        {"name": "c"},
        {"name": "d"},
    ]


def test_a_refused_commit_raises_what_the_library_raises_and_writes_nothing(
    client: InterceptedClient,
) -> None:
    client.document("things", "e").set({"first": True})

    def creating(name: str) -> firestore.WriteBatch:
        batch = client.batch()
        stage_create(batch, client.document("things", "f"), {"x": 1})
        stage_create(batch, client.document("things", name), {"again": True})
        return batch

    with pytest.raises(exceptions.GoogleAPICallError) as by_library:
        creating("e").commit()
    with pytest.raises(exceptions.GoogleAPICallError) as ours:
        Committer.for_client(client).commit(creating("e"))
    assert type(ours.value) is type(by_library.value)
    assert isinstance(ours.value, exceptions.Conflict)
    assert not client.document("things", "f").get().exists
    assert client.document("things", "e").get().to_dict() == {"first": True}


def test_a_transactions_commit_is_the_library_s_request_in_its_transaction(
    client: InterceptedClient,
) -> None:
    from google.cloud.firestore_v1.types import firestore as firestore_types

    from herald.store.firestore_transactions import FirstReadTransaction, read_in

    ref = client.document("things", "t")
    ref.set({"n": 0})
    by_library = client.transaction()
    by_library._begin()
    stage_set(by_library, ref, {"n": 1})
    firestore.Transaction._commit(by_library)  # the library's own commit
    ours = FirstReadTransaction(client)
    read_in(ours, [ref])
    stage_set(ours, ref, {"n": 1})
    ours._commit()
    commits = [c for c in client.interceptor.calls if c[0].endswith("/Commit")]
    (_, library_metadata, library_bytes), (_, our_metadata, our_bytes) = commits[-2:]
    library_request = firestore_types.CommitRequest.pb().FromString(library_bytes)
    our_request = firestore_types.CommitRequest.pb().FromString(our_bytes)
    assert our_request.transaction and library_request.transaction  # each in its own
    our_request.transaction = library_request.transaction = b""
    assert our_request == library_request
    assert our_metadata == library_metadata
    assert ref.get().to_dict() == {"n": 1}
