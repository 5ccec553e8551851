"""Integration tests run on the real Firestore and Pub/Sub emulators."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald_tools.local.emulators import Emulators
from herald_tools.local.processes import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    log_dir = Path(tmp_path_factory.mktemp("emulator-logs"))
    running = Emulators(log_dir, functions_port=free_port())
    running.start()
    saved = {k: os.environ.get(k) for k in running.env()}
    os.environ.update(running.env())
    yield running
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    running.stop()


@pytest.fixture
def workspace() -> str:
    return "it-" + uuid.uuid4().hex
