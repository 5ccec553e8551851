"""Firestore transactions that end in success or ``Contended``, never in a bare error.

The client retries a transaction whose commit is aborted by contention, then
gives up with a ``ValueError``; a read inside the transaction may be aborted
too (the emulator's "Transaction lock timeout"). Either way nothing was
written, and the caller is told so with the one retryable error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google.api_core import exceptions
from google.cloud import firestore

from herald.errors import Contended

T = TypeVar("T")

# The client's own default; documents written from many requests at once ask for more.
DEFAULT_ATTEMPTS = 5


def run_transaction(
    client: firestore.Client,
    body: Callable[[firestore.Transaction], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
) -> T:
    """Runs ``body`` in a transaction, retried on contention up to ``attempts`` times."""
    try:
        result: T = firestore.transactional(body)(client.transaction(max_attempts=attempts))
    except exceptions.Aborted as exc:
        raise Contended(f"the transaction was aborted by contention: {exc.message}") from exc
    except ValueError as exc:
        if isinstance(exc.__cause__, exceptions.Aborted):
            raise Contended(f"contended past {attempts} attempts: {exc.__cause__.message}") from exc
        raise
    return result
