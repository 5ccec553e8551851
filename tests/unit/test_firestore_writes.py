"""Herald's documents, encoded straight into protobuf, are the writes the library makes."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.types import write

from herald.domain.message import MessageState
from herald.store.firestore_writes import stage_create, stage_set

PATH = "projects/p/databases/(default)/documents/workspaces/ws/messages/m1"

DOCUMENTS: list[dict[str, Any]] = [
    {},
    {"id": "m1", "seq": 3, "published_ms": None, "ok": True, "ratio": 0.25},
    {
        "nested": {"odd.key": {"x": [1, 2.5, None, "s", {"deep": []}]}, "empty": {}},
        "unicode": "é✓",
        "big": 2**62,
        "negative": -7,
        "tuple": (1, 2),
        "false": False,
    },
    MessageState(
        id="m1",
        workspace="ws",
        request_id="m1",
        recipient={"email": "a@example.com", "data": {"a.b": 1}},
        content={"title": "t", "body": "b"},
        enqueued_ms=1,
        tags=["x"],
    ).model_dump(mode="json"),
]


class Writer:
    """What a batch or a transaction keeps of the writes staged on it."""

    def __init__(self) -> None:
        self._document_references: dict[str, Any] = {}
        self.writes: list[write.Write] = []

    def _add_write_pbs(self, pbs: list[write.Write]) -> None:
        self.writes.extend(pbs)

    def create(self, reference: Any, data: dict[str, Any]) -> None:
        self._add_write_pbs(_helpers.pbs_for_create(reference._document_path, data))

    def set(self, reference: Any, data: dict[str, Any]) -> None:
        self._add_write_pbs(_helpers.pbs_for_set_no_merge(reference._document_path, data))


class Reference:
    _document_path = PATH


@pytest.mark.parametrize("data", DOCUMENTS)
def test_a_create_is_the_librarys_create(data: dict[str, Any]) -> None:
    writer = Writer()
    stage_create(writer, Reference(), data)
    [expected] = _helpers.pbs_for_create(PATH, data)
    [staged] = writer.writes
    assert write.Write.pb(staged) == write.Write.pb(expected)
    assert writer._document_references[PATH].__class__ is Reference


@pytest.mark.parametrize("data", DOCUMENTS)
def test_a_set_is_the_librarys_set(data: dict[str, Any]) -> None:
    writer = Writer()
    stage_set(writer, Reference(), data)
    [expected] = _helpers.pbs_for_set_no_merge(PATH, data)
    assert [write.Write.pb(w) for w in writer.writes] == [write.Write.pb(expected)]


def test_what_is_not_json_is_left_to_the_library() -> None:
    import datetime

    data = {"expires_at": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)}
    writer = Writer()
    stage_create(writer, Reference(), data)
    [expected] = _helpers.pbs_for_create(PATH, data)
    assert [write.Write.pb(w) for w in writer.writes] == [write.Write.pb(expected)]


class Label(str):
    """A subclass of a JSON type (as a str enum is): encoded as its base type."""


class Count(int):
    pass


def test_subclasses_of_json_types_are_the_librarys_too() -> None:
    data = {"label": Label("x"), "count": Count(3), "items": [Label("y")]}
    writer = Writer()
    stage_create(writer, Reference(), data)
    [expected] = _helpers.pbs_for_create(PATH, data)
    assert [write.Write.pb(w) for w in writer.writes] == [write.Write.pb(expected)]
