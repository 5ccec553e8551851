"""The Firestore idempotency store.

One document per key, ``workspaces/{ws}/idempotency/{digest}``; ``expires_at``
carries the TTL policy (``herald.store.indexes.TTL_FIELDS``). Claims, completions
and releases each run in a transaction, so of racing claims at most one wins
(the others find it in flight, or are told ``Contended`` and may try again) and
a holder whose lease was taken over cannot overwrite its successor.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from google.cloud import firestore

from herald.idempotency.base import (
    Claimed,
    ClaimOutcome,
    IdempotencyKey,
    IdempotencyRecord,
    StoredResponse,
    completed,
    decide_claim,
)
from herald.idempotency.exceptions import ClaimLost
from herald.store.firestore import _span as firestore_span
from herald.store.firestore_transactions import read_in, run_transaction

COLLECTION = "idempotency"
# Racing duplicates contend on one document: more tries than the default five.
TRANSACTION_ATTEMPTS = 20


def _timestamp(epoch_s: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_s, tz=datetime.UTC)


def _document(key: IdempotencyKey, record: IdempotencyRecord) -> dict[str, Any]:
    response = record.response
    return {
        "method": key.method,
        "path": key.path,
        "key": key.key,
        "body_hash": record.body_hash,
        "token": record.token,
        "lease_until": _timestamp(record.lease_until),
        "expires_at": _timestamp(record.expires_at),
        # A JSON string: any body shape stores (Firestore refuses nested arrays)
        # and its keys make no index entries.
        "response": None
        if response is None
        else json.dumps(
            {"status": response.status, "body": response.body, "headers": dict(response.headers)}
        ),
    }


def _record(document: dict[str, Any]) -> IdempotencyRecord:
    stored = document.get("response")
    response = None
    if stored is not None:
        raw = json.loads(stored)
        response = StoredResponse(raw["status"], raw["body"], raw["headers"])
    return IdempotencyRecord(
        body_hash=document["body_hash"],
        expires_at=document["expires_at"].timestamp(),
        token=document["token"],
        lease_until=document["lease_until"].timestamp(),
        response=response,
    )


class FirestoreIdempotencyStore:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def _ref(self, key: IdempotencyKey) -> firestore.DocumentReference:
        ref: firestore.DocumentReference = (
            self.client.collection("workspaces")
            .document(key.workspace)
            .collection(COLLECTION)
            .document(key.digest)
        )
        return ref

    def _read(
        self, ref: firestore.DocumentReference, transaction: firestore.Transaction
    ) -> IdempotencyRecord | None:
        [snap] = read_in(transaction, [ref])
        document = snap.to_dict()
        return None if document is None else _record(document)

    def claim(
        self,
        key: IdempotencyKey,
        body_hash: str,
        *,
        now: float,
        lease_s: float,
        expires_at: float,
    ) -> ClaimOutcome:
        ref = self._ref(key)
        token = uuid.uuid4().hex

        def apply(transaction: firestore.Transaction) -> ClaimOutcome:
            current = self._read(ref, transaction)
            outcome, write = decide_claim(current, key, body_hash, token, now, lease_s, expires_at)
            if write is not None:
                transaction.set(ref, _document(key, write))
            return outcome

        with firestore_span("transaction", COLLECTION):
            return run_transaction(self.client, apply, attempts=TRANSACTION_ATTEMPTS)

    def complete(self, claim: Claimed, response: StoredResponse) -> None:
        ref = self._ref(claim.key)

        def apply(transaction: firestore.Transaction) -> None:
            record = self._read(ref, transaction)
            if record is None or record.token != claim.token:
                raise ClaimLost(
                    f"idempotency key {claim.key.key!r} is no longer held by this claim"
                )
            transaction.set(ref, _document(claim.key, completed(record, response)))

        with firestore_span("transaction", COLLECTION):
            run_transaction(self.client, apply, attempts=TRANSACTION_ATTEMPTS)

    def release(self, claim: Claimed) -> None:
        ref = self._ref(claim.key)

        def apply(transaction: firestore.Transaction) -> None:
            record = self._read(ref, transaction)
            if record is not None and record.token == claim.token:
                transaction.delete(ref)

        with firestore_span("transaction", COLLECTION):
            run_transaction(self.client, apply, attempts=TRANSACTION_ATTEMPTS)
