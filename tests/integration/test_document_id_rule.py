"""Herald's document-id and field-name rules never take what Firestore refuses (they may
refuse a little more: "____" and long keys), checked on the emulator."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from herald.domain.send import field_name_problem
from herald.store.documents import document_id_problem
from herald_tools.local.emulators import Emulators

pytestmark = pytest.mark.integration

IDS = [".", "..", "...", "__x__", "____", "___", "__", "__x", "x__", "_x_", "a.b", "a" * 1500]
IDS += ["a" * 1501, "é" * 750, "é" * 751, " ", "%2F", "a\\b", "💥"]
FIELD_NAMES = ["__name__", "__x__", "___", "__x", "a.b", "`c`", "a" * 1390, "a" * 1395]
FIELD_NAMES += ["`" * 600, "`" * 800, "a" * 1500, ""]


def firestore_takes_id(client: firestore.Client, value: str) -> bool:
    try:
        client.collection("rule").document(value).set({"a": 1})
    except Exception:
        return False
    return True


def firestore_takes_field(client: firestore.Client, value: str) -> bool:
    try:
        client.collection("rule").document("fields").set({"data": {value: 1}})
    except Exception:
        return False
    return True


@pytest.fixture
def client(emulators: Emulators) -> firestore.Client:
    return firestore.Client(project=emulators.project)


@pytest.mark.parametrize("value", IDS, ids=[repr(v[:12]) + f"/{len(v)}" for v in IDS])
def test_document_ids(client: firestore.Client, value: str) -> None:
    if document_id_problem(value) is None:
        assert firestore_takes_id(client, value)


@pytest.mark.parametrize(
    "value", FIELD_NAMES, ids=[repr(v[:12]) + f"/{len(v)}" for v in FIELD_NAMES]
)
def test_field_names(client: firestore.Client, value: str) -> None:
    if field_name_problem(value, above_bytes=len("data.")) is None:
        assert firestore_takes_field(client, value)


def test_a_slash_makes_the_client_address_another_document() -> None:
    # Why "/" is refused: the client reads it as a path, not an error.
    client = firestore.Client(project="herald-local")
    ref = client.collection("profiles").document("ada/preferences/billing")
    assert ref.path == "profiles/ada/preferences/billing"
