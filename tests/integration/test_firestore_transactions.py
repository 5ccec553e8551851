"""A contended Firestore transaction ends in ``Contended``, having written nothing; a
transaction is begun by its first read.

Contention is injected where the emulator reports it, deterministically: every
commit (or a read) is answered ``ABORTED`` as under writers racing on one
document, and the number of attempts is counted.
"""

from __future__ import annotations

import uuid

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.services.firestore import FirestoreClient
from google.cloud.firestore_v1.transaction import Transaction

from herald.errors import Contended
from herald.store.firestore_transactions import FirstReadTransaction, read_in, run_transaction
from herald_tools.local.emulators import Emulators

pytestmark = pytest.mark.integration


@pytest.fixture
def client(emulators: Emulators) -> firestore.Client:
    return firestore.Client(project=emulators.project)


def _document(client: firestore.Client) -> firestore.DocumentReference:
    ref: firestore.DocumentReference = client.collection("contention").document(uuid.uuid4().hex)
    return ref


def test_commits_aborted_on_every_attempt_end_contended_after_exactly_those_attempts(
    client: firestore.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _document(client)
    ref.set({"n": 0})
    runs = []

    def overwrite(transaction: firestore.Transaction) -> None:
        # No read: the emulator's read locks are released only by a real abort.
        runs.append(1)
        transaction.set(ref, {"n": 41})

    def increment(transaction: firestore.Transaction) -> None:
        [snap] = read_in(transaction, [ref])
        current = snap.get("n")
        transaction.set(ref, {"n": current + 1})

    def aborted(self: Transaction, *args: object, **kwargs: object) -> None:
        raise exceptions.Aborted("Transaction lock timeout.")  # type: ignore[no-untyped-call]

    monkeypatch.setattr(FirstReadTransaction, "_commit", aborted)
    with pytest.raises(Contended):
        run_transaction(client, overwrite, attempts=3)
    monkeypatch.undo()
    assert len(runs) == 3
    assert ref.get().to_dict() == {"n": 0}
    run_transaction(client, increment)  # uncontended again: it commits
    assert ref.get().to_dict() == {"n": 1}


def test_a_read_aborted_inside_the_transaction_is_contended_too(client: firestore.Client) -> None:
    ref = _document(client)

    def read_refused(transaction: firestore.Transaction) -> None:
        read_in(transaction, [ref])
        raise exceptions.Aborted("Transaction lock timeout.")  # type: ignore[no-untyped-call]

    with pytest.raises(Contended):
        run_transaction(client, read_refused)
    assert not ref.get().exists


def test_other_errors_pass_through_unchanged(client: firestore.Client) -> None:
    def broken(transaction: firestore.Transaction) -> None:
        raise ValueError("a bug, not contention")

    with pytest.raises(ValueError, match="a bug"):
        run_transaction(client, broken)


def _count_begins(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The retry_transaction of each BeginTransaction call (b"" for none)."""
    begins: list[bytes] = []
    original = FirestoreClient.begin_transaction

    def counted(self: FirestoreClient, *args: object, **kwargs: object) -> object:
        request: dict[str, object] = kwargs["request"]  # type: ignore[assignment]
        options = request.get("options")
        begins.append(options.read_write.retry_transaction if options else b"")  # type: ignore[attr-defined]
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(FirestoreClient, "begin_transaction", counted)
    return begins


def test_a_transaction_is_begun_by_its_first_read_not_by_a_call_of_its_own(
    client: firestore.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref, other = _document(client), _document(client)
    ref.set({"n": 1})
    begins = _count_begins(monkeypatch)

    def move(transaction: firestore.Transaction) -> int:
        found = {s.reference.id: s for s in read_in(transaction, [ref, other])}
        assert transaction.in_progress
        [again] = read_in(transaction, [ref])  # in the same transaction, already begun
        assert found[ref.id].get("n") == again.get("n") == 1 and not found[other.id].exists
        transaction.set(ref, {"n": 2})
        transaction.set(other, {"n": 1})
        return 7

    assert run_transaction(client, move) == 7
    assert begins == []
    assert (ref.get().to_dict(), other.get().to_dict()) == ({"n": 2}, {"n": 1})
    # One that reads nothing is begun by its commit, as the library's would be.
    run_transaction(client, lambda transaction: transaction.set(ref, {"n": 3}))
    assert begins == [b""] and ref.get().to_dict() == {"n": 3}


def test_the_librarys_read_of_a_transaction_not_yet_begun_fails_rather_than_read_outside_it(
    client: firestore.Client,
) -> None:
    with pytest.raises(ValueError):
        _document(client).get(transaction=FirstReadTransaction(client))


def test_a_retried_transaction_keeps_its_first_attempts_place_in_line(
    client: firestore.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _document(client)
    ref.set({"n": 0})
    original, commits = FirstReadTransaction._commit, []
    ids: list[bytes] = []
    begins = _count_begins(monkeypatch)

    def aborted_once(self: FirstReadTransaction) -> object:
        commits.append(1)
        if len(commits) == 1:
            # As Firestore aborts one: the transaction ends, its locks released.
            self._client._firestore_api.rollback(
                request={"database": self._client._database_string, "transaction": self.id}
            )
            raise exceptions.Aborted("contended")  # type: ignore[no-untyped-call]
        return original(self)

    def increment(transaction: firestore.Transaction) -> None:
        [snap] = read_in(transaction, [ref])
        ids.append(transaction.id)
        transaction.set(ref, {"n": snap.get("n") + 1})

    monkeypatch.setattr(FirstReadTransaction, "_commit", aborted_once)
    run_transaction(client, increment)
    assert len(commits) == 2 and ids[0] != ids[1]
    # The first begun by its read; the retry as the library begins one, naming the first.
    assert begins == [ids[0]]
    assert ref.get().to_dict() == {"n": 1}
