"""``POST /send`` beside its floor, under the same load from a real HTTP load generator.

The floor (``bench/floor/main.py``) is a bare functions-framework handler doing
the writes a send needs; Herald's api is the real function. Both run as the
local stack runs a function (one gunicorn worker, 8 threads), each alone on
the machine in turn, against the same Firestore emulator, in a project of their
own that has no trigger: what follows a send (the pipeline) is measured apart.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import wrk
from bench.meter import cpu_seconds
from herald.config import MAX_QUOTA_BURST, MAX_QUOTA_RATE
from herald.ids import hash_api_key
from herald_tools.local.processes import Child, free_port, port_open, wait_until
from herald_tools.local.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
# No trigger is registered in this project: its writes fire nothing.
SEND_PROJECT = "herald-bench-send"
SEND_BODY = json.dumps(
    {
        "message": {
            "to": {"email": "ada@example.com"},
            "content": {"title": "Hi {{name}}", "body": "Your code is {{code}}"},
            "data": {"name": "Ada", "code": "123456"},
        }
    }
)
CONNECTIONS = (1, 8, 32)
ROUNDS = 3


@dataclass(frozen=True)
class SendPathResult:
    connections: int
    floor: wrk.LoadResult
    herald: wrk.LoadResult
    floor_cpu_s: float  # the floor's process, during its run
    herald_cpu_s: float

    @property
    def throughput_ratio(self) -> float:
        return self.herald.throughput / self.floor.throughput

    @property
    def p50_ratio(self) -> float:
        return self.herald.p50_ms / self.floor.p50_ms


def _server(stack: Stack, name: str, source: Path, env: dict[str, str]) -> tuple[Child, int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "functions_framework",
        "--target=handle",
        f"--source={source}",
        "--signature-type=http",
        "--host=127.0.0.1",
        f"--port={port}",
    ]
    child = Child(
        name,
        command,
        stack.log_dir / f"{name}.log",
        env=stack.function_environment("api", env),
        cwd=ROOT,
    )
    child.start()
    wait_until(lambda: port_open(port) or not child.alive(), 60, name)
    if not child.alive():
        raise RuntimeError(f"{name} exited:\n{child.tail()}")
    return child, port


def _first_request(url: str, api_key: str | None) -> None:
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, SEND_BODY.encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 202:
            raise RuntimeError(f"{url} answered {response.status}")


def seed_key(project: str, api_key: str, workspace: str) -> None:
    from google.cloud import firestore

    from herald.store.firestore import FirestoreKeys

    FirestoreKeys(firestore.Client(project=project)).put(hash_api_key(api_key), workspace)


def measure(
    stack: Stack, seconds: float = 10.0, log: bool = True, rounds: int = ROUNDS
) -> list[SendPathResult]:
    """Each concurrency in turn, the floor and Herald alternately for ``seconds`` each in
    all, after a warm-up of both."""
    binary = wrk.locate()
    env = {
        "GOOGLE_CLOUD_PROJECT": SEND_PROJECT,
        "HERALD_TRACE_DIR": str(stack.state_dir / "traces-send"),
        # The send path's own cost is measured, not the workspace's quota.
        "HERALD_QUOTA_RATE": str(MAX_QUOTA_RATE),
        "HERALD_QUOTA_BURST": str(MAX_QUOTA_BURST),
    }
    seed_key(SEND_PROJECT, stack.api_key, stack.workspace)
    floor, floor_port = _server(stack, "bench-floor", ROOT / "bench" / "floor" / "main.py", env)
    api, api_port = _server(stack, "bench-api", ROOT / "functions" / "api" / "main.py", env)
    floor_pid, api_pid = floor.pid or 0, api.pid or 0
    floor_url = f"http://127.0.0.1:{floor_port}/send"
    api_url = f"http://127.0.0.1:{api_port}/send"
    try:
        for url, key in ((floor_url, None), (api_url, stack.api_key)):
            _first_request(url, key)  # the clients are created on the first request
            warm = wrk.run(binary, url, SEND_BODY, key, 8, 3)
            if warm.non2xx or not warm.requests:
                raise RuntimeError(f"{url} answered {warm.non2xx} non-2xx during the warm-up")
        results = []
        for connections in CONNECTIONS:
            # Turn and turn about, in short runs: a machine whose load drifts (others' work
            # on it) weighs on both alike.
            floor_runs, herald_runs, floor_cpu, herald_cpu = [], [], 0.0, 0.0
            for _ in range(rounds):
                before = cpu_seconds(floor_pid)
                floor_runs.append(
                    wrk.run(binary, floor_url, SEND_BODY, None, connections, seconds / rounds)
                )
                floor_cpu += cpu_seconds(floor_pid) - before
                before = cpu_seconds(api_pid)
                herald_runs.append(
                    wrk.run(
                        binary, api_url, SEND_BODY, stack.api_key, connections, seconds / rounds
                    )
                )
                herald_cpu += cpu_seconds(api_pid) - before
            at_floor, herald = wrk.combined(floor_runs), wrk.combined(herald_runs)
            for name, run in (("the floor", at_floor), ("Herald", herald)):
                if run.non2xx or run.errors:
                    raise RuntimeError(
                        f"{name} answered {run.non2xx} non-2xx, {run.errors} errors"
                        f" at {connections} connections"
                    )
            result = SendPathResult(connections, at_floor, herald, floor_cpu, herald_cpu)
            if log:
                print(
                    f"  {connections:>2} connections: floor {at_floor.throughput:6.0f}/s"
                    f" p50 {at_floor.p50_ms:6.1f} ms | herald {herald.throughput:6.0f}/s"
                    f" p50 {herald.p50_ms:6.1f} ms | {result.throughput_ratio:.2f}x throughput,"
                    f" {result.p50_ratio:.2f}x p50",
                    flush=True,
                )
            results.append(result)
        return results
    finally:
        floor.stop()
        api.stop()
        # Tens of thousands of sends: the emulator is left as the next phase found it.
        stack.emulators.clear_firestore(SEND_PROJECT)
