"""Herald's benchmark suite: one command, every figure beside its floor from the same run.

    .venv/bin/python -m bench              # or ./herald bench
    .venv/bin/python -m bench --quick      # fewer sends, no 10,000-recipient list

1. ``POST /send`` against a bare functions-framework handler doing the writes a
   send needs (``bench/floor``), at 1, 8 and 32 connections, driven by wrk.
2. Send to end state against the hop floor (a write, its trigger, a publish and
   a push with no Herald code), one at a time and 100 at once; what the 100
   cost the functions per delivered email: CPU, invocations, Firestore
   operations, each function on its own.
3. List sends of 1,000 and 10,000 subscribers: time to the last message's end
   state, messages per second, Firestore operations per message; after an
   unmeasured list send (``--warm-up``) that warms the emulators' JVMs, which
   a first list send otherwise pays for (production Firestore has no warm-up).
4. Each function's cold start against the client libraries it loads.

Results go to ``bench/results.json`` and to the README's Benchmarks section,
between its markers, with the date and the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import imports, pipeline, report, sendpath
from bench.meter import Meter, Usage
from herald.topology import FUNCTIONS
from herald_tools.local.firestore_counts import counting_environment
from herald_tools.local.stack import Ports, Stack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
PHASES = ("send", "latency", "lists", "imports")
# The emulators are JVMs: the first list send on a stack ran at about two thirds of the
# rate of the same send repeated (their CPU a message 43.8 and 17.4 ms, then 18.5 and 7.9).
WARM_UP_RECIPIENTS = 1000


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} x {model}, {memory_kb / 2**20:.0f} GiB,"
        f" {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT
    )
    return done.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def usage_per_message(usage: Usage, messages: int) -> dict[str, Any]:
    functions = sorted({*usage.cpu_s, *usage.invocations, *usage.firestore})
    firestore = usage.firestore_total
    return {
        "messages": messages,
        "seconds": usage.seconds,
        "functions": {
            name: {
                "invocations": usage.invocations.get(name, 0) / messages,
                "cpu_ms": usage.cpu_s.get(name, 0.0) * 1000 / messages,
                "reads": usage.firestore[name].reads / messages if name in usage.firestore else 0,
                "writes": (
                    (usage.firestore[name].writes + usage.firestore[name].deletes) / messages
                    if name in usage.firestore
                    else 0
                ),
            }
            for name in functions
        },
        "emulators_cpu_ms": {n: s * 1000 / messages for n, s in usage.emulators_cpu_s.items()},
        "reads": firestore.reads / messages,
        "writes": (firestore.writes + firestore.deletes) / messages,
        "rpcs": {method: n / messages for method, n in sorted(firestore.rpcs.items())},
    }


def bench_stack(state_dir: Path) -> Stack:
    """The stack as ``herald up`` runs it, every function's Firestore operations counted."""
    counts = state_dir / "firestore-counts"
    return Stack(
        ports=Ports.random(),
        state_dir=state_dir,
        function_env={f.name: counting_environment(counts) for f in FUNCTIONS},
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    state_dir = Path(tempfile.mkdtemp(prefix="herald-bench-"))
    stack = bench_stack(state_dir)
    results: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "load_average": os.getloadavg()[0],
        "commit": commit(),
    }
    phases = set(args.phases)
    if phases & {"send", "latency", "lists"}:
        _on_the_stack(stack, state_dir, phases, args, results)
    if "imports" in phases:
        print("4. cold starts beside the client libraries:", flush=True)
        results["imports"] = [vars(i) for i in imports.measure()]
    return results


def _on_the_stack(
    stack: Stack,
    state_dir: Path,
    phases: set[str],
    args: argparse.Namespace,
    results: dict[str, Any],
) -> None:
    print("starting the local stack...", flush=True)
    stack.start()
    try:
        if "send" in phases:
            print("1. POST /send beside the floor handler (wrk):", flush=True)
            results["send"] = _send_path(stack, args.seconds)
        meter = Meter(stack, state_dir / "firestore-counts")
        if "latency" in phases:
            print("2. send to end state beside the hop floor:", flush=True)
            results.update(_latency(stack, meter, args.sends))
        if "lists" in phases:
            results["lists"] = []
            if args.lists and args.warm_up:
                print(f"3. warming up: an unmeasured list send to {args.warm_up:,}", flush=True)
                pipeline.measure_list_send(stack, meter, args.warm_up, log=False, list_id="warm-up")
            results["lists_warm_up"] = args.warm_up if args.lists else 0
            for recipients in args.lists:
                print(f"3. a list send to {recipients:,} subscribers:", flush=True)
                listed = pipeline.measure_list_send(stack, meter, recipients)
                results["lists"].append(
                    {
                        "recipients": recipients,
                        "seconds": listed.seconds,
                        **usage_per_message(listed.usage, recipients),
                    }
                )
    finally:
        stack.stop()


def _send_path(stack: Stack, seconds: float) -> list[dict[str, Any]]:
    sends = sendpath.measure(stack, seconds=seconds)
    return [
        {
            "connections": s.connections,
            "floor": vars(s.floor),
            "herald": vars(s.herald),
            "floor_cpu_ms_per_request": s.floor_cpu_s * 1000 / s.floor.requests,
            "herald_cpu_ms_per_request": s.herald_cpu_s * 1000 / s.herald.requests,
        }
        for s in sends
    ]


def _latency(stack: Stack, meter: Meter, sends: int) -> dict[str, Any]:
    latency = pipeline.measure_latency(stack, meter, sends)
    return {
        "latency": {
            "sends": sends,
            "hops": latency.hops,
            "floor_sequential_ms": latency.floor_sequential_ms,
            "floor_concurrent_ms": latency.floor_concurrent_ms,
            "sequential_ms": latency.sequential_ms,
            "concurrent_ms": latency.concurrent_ms,
        },
        "per_email": usage_per_message(latency.burst, latency.burst_messages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="herald bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=100, help="sends per latency phase")
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="wrk's time per concurrency, each side"
    )
    parser.add_argument(
        "--lists",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[1000, 10000],
        help="list sizes, comma-separated (default 1000,10000; '' for none)",
    )
    parser.add_argument(
        "--warm-up",
        type=int,
        default=WARM_UP_RECIPIENTS,
        help="recipients of the unmeasured list send before the measured ones"
        f" (default {WARM_UP_RECIPIENTS:,}; 0 for none)",
    )
    parser.add_argument("--quick", action="store_true", help="30 sends, 5 s runs, a 1,000 list")
    parser.add_argument(
        "--phases",
        type=lambda text: [p for p in text.split(",") if p],
        default=list(PHASES),
        help=f"which to run, comma-separated (default all: {','.join(PHASES)}); the others'"
        " figures are kept from --results",
    )
    parser.add_argument("--no-readme", action="store_true", help="leave the README as it is")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--report", action="store_true", help="only print and write what --results holds"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sends, args.seconds, args.lists = 30, 5.0, [1000]
    if args.report:
        results = json.loads(args.results.read_text())
    else:
        if unknown := set(args.phases) - set(PHASES):
            parser.error(f"unknown phases {sorted(unknown)}; known: {', '.join(PHASES)}")
        kept = json.loads(args.results.read_text()) if args.results.exists() else {}
        results = {**kept, **run(args)} if set(args.phases) != set(PHASES) else run(args)
        args.results.write_text(json.dumps(results, indent=1) + "\n")
    print()
    print(report.text(results))
    if not args.no_readme:
        report.write_readme(ROOT / "README.md", results)
        print("\nwritten: README.md (Benchmarks) and", args.results.relative_to(ROOT))
    return 0
