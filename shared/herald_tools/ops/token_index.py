"""``herald tokens reindex``: the index of every user's device tokens, from the tokens.

Tokens stored before the index existed (``herald.resources.tokens``) are not in
it, so the push channel does not find them until this has run once. It is safe
to run at any time and more than once: each user's index is written from their
tokens as they are at that moment, in a transaction that keeps what it held.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.cloud import firestore

from herald.resources.tokens import TokenService
from herald.store.firestore_documents import FirestoreDocuments


def _ids(collection: firestore.CollectionReference) -> Iterator[str]:
    # Missing documents too: a workspace or user may hold only subcollections.
    for ref in collection.list_documents():
        yield ref.id


def reindex(client: firestore.Client, workspace: str | None) -> Iterator[tuple[str, str, int]]:
    """Each user's index written: (workspace, user id, tokens it holds)."""
    tokens = TokenService(FirestoreDocuments(client))
    chosen = [workspace] if workspace is not None else list(_ids(client.collection("workspaces")))
    for each in chosen:
        for user_id in _ids(client.collection("workspaces", each, "users")):
            yield each, user_id, tokens.rebuild_index(each, user_id)
