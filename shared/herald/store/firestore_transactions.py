"""Firestore transactions that end in success or ``Contended``, never in a bare error,
each begun by its first read.

The client library begins a transaction with a ``BeginTransaction`` call of its
own before the first read. Firestore also begins one on a read that asks for it
(``BatchGetDocuments``' ``new_transaction``), answering with its id: one round
trip less per transaction. On the emulator that call was a third of a
transition's cost (9.5 against 6.0 ms of its CPU for begin, read and commit,
measured). Reads in a transaction go through ``read_in``, which begins it on
the first; a read through the library's own ``get_all`` of a transaction not
yet begun fails loudly (the library refuses an inactive transaction), never
silently outside it.

The client retries a transaction whose commit is aborted by contention, then
gives up; a read inside the transaction may be aborted too (the emulator's
"Transaction lock timeout"). Either way nothing was written, and the caller is
told so with the one retryable error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_client import _parse_batch_get
from google.cloud.firestore_v1.types import common

from herald.errors import Contended
from herald.store.firestore_commit import committer_for

T = TypeVar("T")

# The client's own default; documents written from many requests at once ask for more.
DEFAULT_ATTEMPTS = 5


class FirstReadTransaction(firestore.Transaction):
    """A read-write transaction begun by its first read (``read_in``), or by its commit
    when it read nothing; after contention, by the library's ``BeginTransaction``."""

    def __init__(self, client: firestore.Client) -> None:
        super().__init__(client)
        self.retry_id: bytes | None = None  # the first attempt's id, kept on retries

    def restart(self) -> None:
        """For the next attempt: nothing staged, not begun."""
        self._clean_up()
        self._write_pbs = []

    def begun_by(self, transaction_id: bytes) -> None:
        self._id = transaction_id  # type: ignore[assignment]  # the library types it None
        self.retry_id = transaction_id

    def options(self) -> common.TransactionOptions:
        return common.TransactionOptions(read_write=common.TransactionOptions.ReadWrite())

    def _commit(self) -> list[Any]:
        if not self.in_progress:  # nothing was read: begun now, as the library would
            self._begin(retry_id=self.retry_id)
        # The library's request, raw (firestore_commit): its write results are not used.
        committer_for(self._client).commit(self, transaction=self._id)
        self._clean_up()
        return []

    def _rollback(self) -> None:
        if self.in_progress:
            super()._rollback()


def read_in(
    transaction: firestore.Transaction, refs: Sequence[firestore.DocumentReference]
) -> list[Any]:
    """The documents at ``refs`` (snapshots, ``exists`` False for a missing one), read in
    ``transaction``; the first read of a ``FirstReadTransaction`` begins it."""
    client = transaction._client
    if isinstance(transaction, FirstReadTransaction) and not transaction.in_progress:
        if transaction.retry_id is None:
            return _first_read(transaction, refs)
        # A retry after contention is begun as the library begins it, naming the first
        # attempt's transaction to keep its place in line.
        transaction._begin(retry_id=transaction.retry_id)
    return list(client.get_all(refs, transaction=transaction))


def _first_read(
    transaction: FirstReadTransaction, refs: Sequence[firestore.DocumentReference]
) -> list[Any]:
    client = transaction._client
    by_path = {ref._document_path: ref for ref in refs}
    responses = client._firestore_api.batch_get_documents(
        request={
            "database": client._database_string,
            "documents": list(by_path),
            "new_transaction": transaction.options(),
        },
        metadata=client._rpc_metadata,
    )
    snapshots = []
    for response in responses:
        if response.transaction:
            transaction.begun_by(response.transaction)
        if response.found or response.missing:
            snapshots.append(_parse_batch_get(response, by_path, client))
    if not transaction.in_progress:
        raise RuntimeError("Firestore began no transaction on the read")
    return snapshots


def run_transaction(
    client: firestore.Client,
    body: Callable[[firestore.Transaction], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
) -> T:
    """Runs ``body`` in a transaction, retried on contention up to ``attempts`` times."""
    transaction = FirstReadTransaction(client)
    last: exceptions.Aborted | None = None
    try:
        for _ in range(attempts):
            transaction.restart()
            result = body(transaction)
            try:
                transaction._commit()
            except exceptions.Aborted as exc:
                last = exc  # nothing written; tried again, keeping its place in line
                continue
            return result
    except exceptions.Aborted as exc:  # a read's lock timed out: nothing was written
        transaction._rollback()
        raise Contended(f"the transaction was aborted by contention: {exc.message}") from exc
    except BaseException:
        transaction._rollback()
        raise
    assert last is not None
    raise Contended(f"contended past {attempts} attempts: {last.message}") from last
