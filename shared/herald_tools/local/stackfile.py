"""``<state dir>/stack.json``: where a running local stack can be reached.

``herald up`` writes it once its emulators answer and removes it when it stops,
so operator commands run in another terminal find the stack by themselves.
A file left behind by a stack that was killed is recognised as dead: its
process is gone, or its emulators no longer answer.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from herald_tools.local.processes import port_open

STACK_FILE = "stack.json"


@dataclass(frozen=True)
class RunningStack:
    pid: int  # the process that runs the stack (`herald up`)
    project: str
    firestore_host: str  # host:port of the Firestore emulator
    pubsub_host: str
    api_url: str

    def env(self) -> dict[str, str]:
        """What a client needs to act on this stack instead of a Google Cloud project."""
        return {
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "GOOGLE_CLOUD_PROJECT": self.project,
        }

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process of that id: the emulators decide
        return all(_answers(host) for host in (self.firestore_host, self.pubsub_host))


def _answers(host: str) -> bool:
    name, _, port = host.rpartition(":")
    return port.isdigit() and port_open(int(port), name or "127.0.0.1")


def path_in(state_dir: Path) -> Path:
    return state_dir / STACK_FILE


def write(state_dir: Path, stack: RunningStack) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    partial = path_in(state_dir).with_suffix(".tmp")
    partial.write_text(json.dumps(asdict(stack), indent=2) + "\n")
    partial.replace(path_in(state_dir))  # never half a file for a reader


def read(state_dir: Path) -> RunningStack | None:
    """The stack the file describes, alive or not; None without a readable file."""
    try:
        return RunningStack(**json.loads(path_in(state_dir).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def remove(state_dir: Path, pid: int) -> None:
    """Removes the file if it is this process's (a newer stack may have replaced it)."""
    found = read(state_dir)
    if found is not None and found.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            path_in(state_dir).unlink()
