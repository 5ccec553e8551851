"""Operator commands in a second terminal find the local stack, or say in one line what
they would need; they never end in a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from google.cloud import firestore

from herald.ids import hash_api_key
from herald.store.firestore import FirestoreKeys
from herald_tools.local import stackfile
from herald_tools.local.emulators import Emulators
from tests.conftest import second_terminal

pytestmark = pytest.mark.integration


def herald(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "herald_tools.cli", *args],
        capture_output=True,
        text=True,
        env=env or second_terminal(),
        timeout=120,
    )


def one_line_without_traceback(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_commands_find_the_running_local_stack_by_its_stack_file(
    emulators: Emulators, tmp_path: Path
) -> None:
    stackfile.write(
        tmp_path,
        stackfile.RunningStack(
            pid=os.getpid(),
            project=emulators.project,
            firestore_host=emulators.firestore_host,
            pubsub_host=emulators.pubsub_host,
            api_url="http://127.0.0.1:8080",
        ),
    )
    workspace = "term-" + uuid.uuid4().hex[:8]

    created = herald("keys", "create", workspace, "--state-dir", str(tmp_path))

    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    client = firestore.Client(project=emulators.project)
    assert FirestoreKeys(client).workspace_for(hash_api_key(key)) == workspace
    acting, notice = created.stderr.strip().splitlines()
    assert "acting on the local stack" in acting and emulators.firestore_host in acting
    assert "only its hash is stored" in notice
    listed = herald("keys", "list", workspace, "--state-dir", str(tmp_path))
    assert listed.returncode == 0 and workspace in listed.stdout, listed.stderr
    tracking = herald("tracking", workspace, "on", "--state-dir", str(tmp_path))
    assert tracking.stdout.strip().endswith("email: on"), tracking.stderr


def test_without_a_stack_or_a_project_a_command_says_how_to_choose_in_one_line(
    tmp_path: Path,
) -> None:
    for args in (("keys", "list"), ("providers", "ws"), ("tracking", "ws"), ("replay", "list")):
        result = herald(*args, "--state-dir", str(tmp_path))
        assert result.returncode == 2
        line = one_line_without_traceback(result.stderr)
        assert "no local stack is running" in line
        assert "./herald up" in line and "--project" in line and "GOOGLE_CLOUD_PROJECT" in line


def test_a_stack_file_left_by_a_stopped_stack_is_not_acted_on(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stackfile.write(
        tmp_path,
        stackfile.RunningStack(
            pid=int(gone.stdout),
            project="herald-local",
            firestore_host="127.0.0.1:9",
            pubsub_host="127.0.0.1:9",
            api_url="http://127.0.0.1:9",
        ),
    )
    result = herald("keys", "list", "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "is not running any more" in one_line_without_traceback(result.stderr)


def test_a_project_named_without_credentials_is_one_line_naming_the_project(
    tmp_path: Path,
) -> None:
    for named in (
        herald("keys", "list", "--project", "herald-elsewhere", "--state-dir", str(tmp_path)),
        herald(
            "keys",
            "list",
            "--state-dir",
            str(tmp_path),
            env={**second_terminal(), "GOOGLE_CLOUD_PROJECT": "herald-elsewhere"},
        ),
    ):
        assert named.returncode == 1
        acting, refused = named.stderr.strip().splitlines()
        assert "Traceback" not in named.stderr
        assert (
            "acting on Google Cloud project herald-elsewhere, Firestore database (default)"
            in acting
        )
        assert "no Google credentials for project herald-elsewhere" in refused
