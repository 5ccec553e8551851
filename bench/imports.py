"""A function's cold start beside the client libraries it loads.

Each in fresh interpreters, the median of several: the function (its ``main.py``
imported and its service built, as the first request builds it) against the
floor, importing only functions-framework and the Google client libraries that
function uses. What lies between is Herald's own code and models.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from herald.topology import FUNCTIONS, FunctionSpec

ROOT = Path(__file__).resolve().parents[1]
# The functions measured: each module's ``services.<function>`` is what it builds on its
# first request (the composition root's service of that name).
MEASURED = ("api", "relay", "render", "deliver", "webhooks", "sweep")
# The module of each client library a function may need.
LIBRARY_MODULES = {
    "google-cloud-pubsub": "google.cloud.pubsub_v1",
    "google-events": "google.events.cloud.firestore",
}
BASE_MODULES = ("functions_framework", "google.cloud.firestore")


@dataclass(frozen=True)
class ImportTime:
    function: str
    herald_ms: float
    libraries_ms: float
    libraries: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.herald_ms / self.libraries_ms


def libraries(spec: FunctionSpec) -> tuple[str, ...]:
    extra = (LIBRARY_MODULES[r] for r in spec.extra_requirements if r in LIBRARY_MODULES)
    return (*BASE_MODULES, *extra)


def _timed(code: str, runs: int) -> float:
    # Clients are only created, never connected: any address will do.
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "shared"),
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:9",
        "GOOGLE_CLOUD_PROJECT": "herald-bench",
        "HERALD_TRACE_EXPORTER": "none",
    }
    env.pop("HERALD_FIRESTORE_COUNTS_DIR", None)
    program = (
        f"import time\nt = time.perf_counter()\n{code}\nprint((time.perf_counter() - t) * 1000)"
    )
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        )
        samples.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure(runs: int = 5) -> list[ImportTime]:
    results = []
    for spec in FUNCTIONS:
        if spec.name not in MEASURED:
            continue
        function = (
            "import importlib.util as u\n"
            f"s = u.spec_from_file_location('main', {json.dumps(str(ROOT / spec.source))})\n"
            "m = u.module_from_spec(s)\n"
            "s.loader.exec_module(m)\n"
            f"m.services.{spec.name}"
        )
        modules = libraries(spec)
        floor = "\n".join(f"import {module}" for module in modules)
        results.append(ImportTime(spec.name, _timed(function, runs), _timed(floor, runs), modules))
    return results
