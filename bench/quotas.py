"""Quotas under a flood: one workspace floods ``POST /send``, another sends steadily.

    .venv/bin/python -m bench.quotas [--seconds 10] [--flood-connections 16]

The api function runs as the local stack runs it (one gunicorn worker, 8 threads)
over the Firestore emulator, with no trigger registered: what follows a send is
not measured. The calm workspace sends over one connection (wrk) for
``--seconds`` in each of three phases: alone; beside the flood, the flooding
workspace held to a quota of 10/s with bursts of 10; and beside the same flood
with a quota too large to refuse anything. It prints the calm workspace's
throughput and latency in each phase, as ratios to the first. A last phase
floods alone, held to its quota: the api process's CPU (from /proc) over the
requests it answered is what a refusal costs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import wrk
from bench.meter import cpu_seconds
from herald.config import MAX_QUOTA_BURST, MAX_QUOTA_RATE
from herald.ids import hash_api_key
from herald.store.base import WorkspaceQuota, WorkspaceSettings
from herald_tools.local.processes import port_open, wait_until
from herald_tools.local.stack import Ports, Stack

SEND_BODY = json.dumps(
    {"message": {"to": {"email": "ada@example.com"}, "content": {"title": "T", "body": "B"}}}
)
FLOOD_QUOTA = WorkspaceQuota(rate=10.0, burst=10)
NO_LIMIT = WorkspaceQuota(rate=MAX_QUOTA_RATE, burst=MAX_QUOTA_BURST)


def _workspace(stack: Stack, name: str, quota: WorkspaceQuota) -> str:
    key = "hk_bench_" + secrets.token_urlsafe(18)
    adapters = stack.adapters()
    adapters.workspaces.save_settings(name, WorkspaceSettings(quota=quota))
    adapters.keys.put(hash_api_key(key), name)
    return key


def _phase(
    binary: str, url: str, calm: str, flood: str | None, connections: int, seconds: float
) -> tuple[wrk.LoadResult, wrk.LoadResult | None]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        calm_run = pool.submit(wrk.run, binary, url, SEND_BODY, calm, 1, seconds)
        flood_run = (
            pool.submit(wrk.run, binary, url, SEND_BODY, flood, connections, seconds)
            if flood is not None
            else None
        )
        return calm_run.result(), flood_run.result() if flood_run is not None else None


def _line(name: str, calm: wrk.LoadResult, alone: wrk.LoadResult) -> str:
    return (
        f"{name:<34}{calm.throughput:8.1f}/s ({calm.throughput / alone.throughput:4.2f})"
        f"{calm.p50_ms:9.1f} ms ({calm.p50_ms / alone.p50_ms:4.2f})"
        f"{calm.p99_ms:9.1f} ms ({calm.p99_ms / alone.p99_ms:4.2f})"
        f"{calm.non2xx:9d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--flood-connections", type=int, default=16)
    args = parser.parse_args()

    binary = wrk.locate()
    stack = Stack(ports=Ports.random(), state_dir=Path(tempfile.mkdtemp(prefix="herald-bench-")))
    print("starting the Firestore emulator and the api...", flush=True)
    try:
        stack.emulators.start()
        os.environ.update(stack.emulators.env())  # this process's clients find them
        stack.start_function("api")
        url = stack.base_url + "/send"
        wait_until(lambda: port_open(stack.ports.function("api")), 60, "the api")
        calm = _workspace(stack, "bench-calm", NO_LIMIT)
        limited = _workspace(stack, "bench-flood-limited", FLOOD_QUOTA)
        unlimited = _workspace(stack, "bench-flood-unlimited", NO_LIMIT)
        _phase(binary, url, calm, None, 1, 3)  # clients created, settings cached
        alone, _ = _phase(binary, url, calm, None, 1, args.seconds)
        with_quota, flood_held = _phase(
            binary, url, calm, limited, args.flood_connections, args.seconds
        )
        without_quota, flood_free = _phase(
            binary, url, calm, unlimited, args.flood_connections, args.seconds
        )
        api_pid = stack.functions["api"].pid
        assert api_pid is not None
        before = cpu_seconds(api_pid)
        refusals = wrk.run(binary, url, SEND_BODY, limited, args.flood_connections, args.seconds)
        refusal_cpu_s = cpu_seconds(api_pid) - before
    finally:
        stack.stop()
    assert flood_held is not None and flood_free is not None
    print(f"\nthe calm workspace, one connection, {args.seconds:.0f} s per phase (ratio to alone)")
    print(f"{'phase':<34}{'throughput':>17}{'p50':>19}{'p99':>19}{'non-2xx':>9}")
    print(_line("alone", alone, alone))
    print(_line(f"flood of {args.flood_connections}, quota 10/s burst 10", with_quota, alone))
    print(_line(f"flood of {args.flood_connections}, no quota", without_quota, alone))
    for name, flood in (("held to its quota", flood_held), ("without a quota", flood_free)):
        accepted = flood.requests - flood.non2xx
        print(
            f"the flood {name}: {flood.requests / flood.seconds:.0f} requests/s,"
            f" {accepted / flood.seconds:.1f}/s accepted, {flood.non2xx} refused"
        )
    print(
        f"the flood alone, held to its quota: {refusals.requests / refusals.seconds:.0f}"
        f" requests/s, {refusals.non2xx} refused; the api's CPU"
        f" {refusal_cpu_s * 1e6 / max(refusals.requests, 1):.0f} µs a request"
    )


if __name__ == "__main__":
    main()
