"""The benchmark's Firestore counts from a process forked after its client was made, as
gunicorn forks a worker from the master that imported the function's module."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from herald.store.firestore_writes import stage_create
from herald_tools.local.emulators import Emulators
from herald_tools.local.firestore_counts import counting_client

pytestmark = pytest.mark.integration


def _written(path: Path, deadline_s: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            found: dict[str, object] = json.loads(path.read_text())
            if found.get("writes"):
                return found
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"nothing counted in {path} within {deadline_s} s")


def test_a_forked_worker_writes_its_own_counts_under_its_pid(
    emulators: Emulators, tmp_path: Path
) -> None:
    client = counting_client("it-counts", tmp_path)
    child = os.fork()
    if child == 0:  # the worker: one commit of two documents, then its counts written
        try:
            batch = client.batch()
            for name in ("a", "b"):
                stage_create(batch, client.document("counted", f"{name}-{os.getpid()}"), {})
            batch.commit()
            _written(tmp_path / f"{os.getpid()}.json")
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert json.loads((tmp_path / f"{child}.json").read_text())["writes"] == 2
    # The parent counted nothing of the child's.
    assert json.loads((tmp_path / f"{os.getpid()}.json").read_text())["writes"] == 0
