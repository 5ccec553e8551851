"""A message's document reference, made by its whole path at once, is the chained one."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from herald.store.firestore import FirestoreMessages


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> FirestoreMessages:
    # No call is made: an emulator's address only spares the client credentials.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")
    return FirestoreMessages(firestore.Client(project="herald-test"))


def test_a_message_and_its_summary_are_where_the_chain_leads(messages: FirestoreMessages) -> None:
    workspace = messages.client.collection("workspaces").document("ws")
    assert messages.message("ws", "m1") == workspace.collection("messages").document("m1")
    assert messages.summary("ws", "m1") == workspace.collection("summaries").document("m1")


@pytest.mark.parametrize(("workspace", "message_id"), [("ws", "a/b"), ("a/b", "w/s"), ("a/b", "m")])
def test_an_id_holding_a_slash_is_refused(
    messages: FirestoreMessages, workspace: str, message_id: str
) -> None:
    # ("a/b", "w/s") would otherwise be an even path, another message's document.
    with pytest.raises(ValueError, match="holds no '/'"):
        messages.message(workspace, message_id)
