"""The local stack forks its processes while gRPC runs beside it: every child starts."""

from __future__ import annotations

from pathlib import Path

import grpc

from herald_tools.local.processes import Child
from herald_tools.local.telemetry import TelemetryStandIns

# With gRPC's fork handlers on, about one fork of /bin/true in twenty-five aborted here
# (17 in 400), each with "epoll_wait error: Bad file descriptor".
FORKS = 200


def test_children_forked_beside_a_running_grpc_server_and_channel_all_start(
    tmp_path: Path,
) -> None:
    standins = TelemetryStandIns()
    standins.start()
    channel = grpc.insecure_channel(standins.endpoint)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        exits = []
        for i in range(FORKS):
            child = Child(f"child-{i}", ["/bin/true"], tmp_path / "children.log")
            child.start()
            child.wait()
            assert child.process is not None
            exits.append(child.process.returncode)
        assert exits == [0] * FORKS, (tmp_path / "children.log").read_text()[-2000:]
    finally:
        channel.close()
        standins.stop()
