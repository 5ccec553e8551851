"""The Firestore emulator's reset of one project, which the benchmark runs between phases."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from herald_tools.local.emulators import Emulators

pytestmark = pytest.mark.integration


def test_clearing_a_project_in_the_emulator_leaves_the_others(emulators: Emulators) -> None:
    cleared, kept = (firestore.Client(project=f"it-clear-{n}") for n in ("a", "b"))
    for client in (cleared, kept):
        client.document("things", "one").set({"n": 1})
    emulators.clear_firestore("it-clear-a")
    assert not cleared.document("things", "one").get().exists
    assert kept.document("things", "one").get().to_dict() == {"n": 1}
