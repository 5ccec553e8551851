"""What tracing adds: per-handler latency and import time.

    .venv/bin/python bench/tracing.py [--sends 300]

Latency: the services on in-memory repositories (no I/O, so the overhead is
not hidden behind network time), each handler timed with tracing off (the
no-op provider) and on (every span recorded and written as JSON lines, as the
local stack does). Import time: each function's ``main`` in a fresh
interpreter, and the exporters, which are imported only when configured.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("api", "relay", "render", "deliver", "webhooks")


def measure_handlers(sends: int) -> dict[str, float]:
    """Runs in a child process; prints the mean microseconds per call of each handler."""
    sys.path.insert(0, str(ROOT))
    from herald.entrypoints.pubsub import consume
    from herald.events.registry import spec_for
    from tests.unit.fakes import Pipeline

    pipeline = Pipeline()
    timings: dict[str, list[float]] = {"send": []}
    handlers = dict(pipeline.consumers)

    def timed(name: str, handler):  # type: ignore[no-untyped-def]
        # Through the push entry point, as deployed: decoding, the consumer span, the log line.
        def run(event):  # type: ignore[no-untyped-def]
            body = {
                "message": {
                    "data": base64.b64encode(event.model_dump_json().encode()).decode(),
                    "attributes": event.attributes(),
                    "messageId": "1",
                }
            }
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                consume(body, name, handler)
            timings.setdefault(name, []).append(time.perf_counter() - started)

        return run

    pipeline.consumers = {name: timed(name, h) for name, h in handlers.items()}
    for index in range(sends):
        started = time.perf_counter()
        pipeline.sending.send(
            "bench",
            {
                "message": {
                    "to": {"email": f"u{index}@example.com"},
                    "content": {"title": "Hi {{n}}", "body": "x"},
                    "data": {"n": index},
                }
            },
        )
        timings["send"].append(time.perf_counter() - started)
        pipeline.drain()
    assert spec_for("message.sent")
    return {name: statistics.mean(values) * 1e6 for name, values in timings.items()}


def child(mode: str, sends: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = (
        "import json, sys; sys.argv=['x'];"
        "from bench.tracing import enable, measure_handlers;"
        f"enable({mode!r});"
        f"print(json.dumps(measure_handlers({sends})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def enable(mode: str) -> None:
    if mode == "on":
        os.environ["HERALD_TRACE_EXPORTER"] = "file"
        os.environ["HERALD_TRACE_DIR"] = tempfile.mkdtemp(prefix="herald-bench-traces-")
        from herald.observability import tracing

        tracing.configure("bench")


def import_ms(statement: str, runs: int = 5) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print((time.perf_counter()-t)*1000)"
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=300)
    args = parser.parse_args()

    off, on = child("off", args.sends), child("on", args.sends)
    print(f"handler latency, mean of {args.sends} sends (µs per call, in-memory repositories)")
    print(f"  {'handler':<10}{'tracing off':>12}{'tracing on':>12}{'added':>10}")
    for name in ("send", "render", "deliver"):
        print(f"  {name:<10}{off[name]:>12.0f}{on[name]:>12.0f}{on[name] - off[name]:>10.0f}")

    print("\nimport time, median of 5 fresh interpreters (ms)")
    for function in FUNCTIONS:
        statement = (
            "import importlib.util as u;"
            f"s=u.spec_from_file_location('m', 'functions/{function}/main.py');"
            "m=u.module_from_spec(s); s.loader.exec_module(m)"
        )
        print(f"  {'functions/' + function + '/main.py':<55}{import_ms(statement):>8.0f}")
    for module in (
        "opentelemetry.sdk.trace",
        "opentelemetry.exporter.cloud_trace",
        "opentelemetry.resourcedetector.gcp_resource_detector",
        "opentelemetry.exporter.cloud_monitoring",
    ):
        print(f"  {module:<55}{import_ms(f'import {module}'):>8.0f}")


if __name__ == "__main__":
    main()
