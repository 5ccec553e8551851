"""A contended Firestore transaction ends in ``Contended``, having written nothing.

Contention is injected where the emulator reports it, deterministically: every
commit (or a read) is answered ``ABORTED`` as under writers racing on one
document, and the number of attempts is counted.
"""

from __future__ import annotations

import uuid

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.transaction import Transaction

from herald.errors import Contended
from herald.store.firestore_transactions import run_transaction
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
        current = ref.get(transaction=transaction).get("n")
        transaction.set(ref, {"n": current + 1})

    def aborted(self: Transaction, *args: object, **kwargs: object) -> None:
        raise exceptions.Aborted("Transaction lock timeout.")  # type: ignore[no-untyped-call]

    monkeypatch.setattr(Transaction, "_commit", aborted)
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
        ref.get(transaction=transaction)
        raise exceptions.Aborted("Transaction lock timeout.")  # type: ignore[no-untyped-call]

    with pytest.raises(Contended):
        run_transaction(client, read_refused)
    assert not ref.get().exists


def test_other_errors_pass_through_unchanged(client: firestore.Client) -> None:
    def broken(transaction: firestore.Transaction) -> None:
        raise ValueError("a bug, not contention")

    with pytest.raises(ValueError, match="a bug"):
        run_transaction(client, broken)
