"""``herald up`` starts everything, answers, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from herald_tools.local import stackfile
from herald_tools.local.processes import port_open
from tests.conftest import eventually, second_terminal
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def processes_listening_on(port: int) -> list[str]:
    """Processes whose command line names the port (--port=N, host:N), exactly."""
    pattern = rf"(port=|127\.0\.0\.1:){port}( |$)"
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def test_up_runs_the_stack_and_ctrl_c_stops_all_of_it(tmp_path: Path) -> None:
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "herald_tools.cli",
            "up",
            "--random-ports",
            "--state-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in up.stdout or []:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    output: list[str] = []

    def ready() -> bool:
        while not lines.empty():
            output.append(lines.get())
        return any("Press Ctrl-C" in line for line in output) or up.poll() is not None

    try:
        eventually(ready, timeout_s=120, what="herald up to be ready")
        text = "".join(output)
        assert up.poll() is None, text
        base = re.search(r"API base URL\s+(\S+)", text)
        key = re.search(r"API key\s+(\S+)", text)
        assert base and key, text
        ports = sorted({int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text)})
        assert len(ports) >= 8  # five functions, sinks, both emulators

        status, body = Client(base[1], key[1]).request(
            "POST",
            "/send",
            {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}},
        )
        assert status == 202 and body["requestId"]

        # An operator command in a second terminal (no emulator variables) finds the stack.
        running = stackfile.read(tmp_path)
        assert running is not None and running.pid == up.pid and running.api_url == base[1]
        listed = subprocess.run(
            [
                sys.executable,
                "-m",
                "herald_tools.cli",
                "keys",
                "list",
                "local",
                "--state-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            env=second_terminal(),
            timeout=120,
        )
        assert listed.returncode == 0, listed.stderr
        assert "local" in listed.stdout and "acting on the local stack" in listed.stderr
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0

    assert not stackfile.path_in(tmp_path).exists()
    for port in ports:
        assert not port_open(port), port
        assert processes_listening_on(port) == []
