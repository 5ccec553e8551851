"""The local stack forks its processes while gRPC runs beside it: every child starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# With gRPC's fork handlers on, about one fork of /bin/true in twenty-five aborted here
# (17 in 400), each with "epoll_wait error: Bad file descriptor".
FORKS = 200

# Run as `./herald up` runs: a process of its own that imports the local stack first,
# so what the suite's earlier tests left running (their threads, their gRPC state) is
# not what is measured.
FORKING = f"""
import json, sys
from pathlib import Path
import herald_tools.local  # before gRPC, as the stack's entry point does
import grpc
from herald_tools.local.processes import Child
from herald_tools.local.telemetry import TelemetryStandIns

log = Path(sys.argv[1])
standins = TelemetryStandIns()
standins.start()
channel = grpc.insecure_channel(standins.endpoint)
try:
    grpc.channel_ready_future(channel).result(timeout=10)
    exits = []
    for i in range({FORKS}):
        child = Child(f"child-{{i}}", ["/bin/true"], log)
        child.start()
        child.wait()
        exits.append(child.process.returncode)
    print(json.dumps(exits))
finally:
    channel.close()
    standins.stop()
"""


def test_children_forked_beside_a_running_grpc_server_and_channel_all_start(
    tmp_path: Path,
) -> None:
    log = tmp_path / "children.log"
    ran = subprocess.run(
        [sys.executable, "-c", FORKING, str(log)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    exits = json.loads(ran.stdout.strip().splitlines()[-1])
    assert exits == [0] * FORKS, log.read_text()[-2000:] if log.exists() else ""
