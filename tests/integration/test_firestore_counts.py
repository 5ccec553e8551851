"""The benchmark's Firestore counts from a process forked after its client was made, as
gunicorn forks a worker from the master that imported the function's module.

The fork happens in a fresh interpreter, as in gunicorn's master: forking the test
process itself, with other tests' gRPC channels and threads, may hang the child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from herald_tools.local.emulators import Emulators

pytestmark = pytest.mark.integration

MASTER_AND_WORKER = """
import json, os, sys, time
from pathlib import Path
from herald.store.firestore_writes import stage_create
from herald_tools.local.firestore_counts import counting_client

directory = Path(sys.argv[1])
client = counting_client("it-counts", directory)


def written(path):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if json.loads(path.read_text()).get("writes"):
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return False


child = os.fork()
if child == 0:  # the worker: one commit of two documents, then its counts written
    batch = client.batch()
    for name in ("a", "b"):
        stage_create(batch, client.document("counted", f"{name}-{os.getpid()}"), {})
    batch.commit()
    os._exit(0 if written(directory / f"{os.getpid()}.json") else 1)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    done, status = os.waitpid(child, os.WNOHANG)
    if done:
        break
    time.sleep(0.05)
else:
    os.kill(child, 9)
    sys.exit("the worker did not end within 60 s")
master_file = directory / f"{os.getpid()}.json"
deadline = time.monotonic() + 20  # the master's own file, written as its writer starts
while not master_file.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"worker": child, "master": os.getpid(), "status": os.waitstatus_to_exitcode(status)}))
"""


def test_a_forked_worker_writes_its_own_counts_under_its_pid(
    emulators: Emulators, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MASTER_AND_WORKER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )
    assert done.returncode == 0, done.stderr
    pids = json.loads(done.stdout.strip().splitlines()[-1])
    assert pids["status"] == 0, done.stderr
    assert json.loads((tmp_path / f"{pids['worker']}.json").read_text())["writes"] == 2
    # The master counted nothing of the worker's.
    assert json.loads((tmp_path / f"{pids['master']}.json").read_text())["writes"] == 0
