"""A function imports only what it uses: the cold-start budget, checked in fresh interpreters."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("main", "functions/{function}/main.py")
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
from herald.observability import metrics, tracing
tracing.configure("{function}"); metrics.configure("{function}")
print(json.dumps(sorted(sys.modules)))
"""

HEAVY_UNLESS_CONFIGURED = (
    "opentelemetry.exporter.cloud_trace",
    "opentelemetry.exporter.cloud_monitoring",
    "opentelemetry.resourcedetector.gcp_resource_detector",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
)


def loaded_modules(function: str) -> set[str]:
    env = {
        **os.environ,
        "HERALD_TRACE_EXPORTER": "file",
        "HERALD_METRICS_EXPORTER": "none",
        "HERALD_TRACE_DIR": str(ROOT / ".herald" / "test-traces"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(function=function)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("function", ["api", "relay", "render", "deliver", "webhooks"])
def test_exporters_load_only_when_configured(function: str) -> None:
    modules = loaded_modules(function)
    assert "herald.bootstrap" in modules  # the probe did load the function
    assert not modules & set(HEAVY_UNLESS_CONFIGURED)


@pytest.mark.parametrize("function", ["api", "relay", "render", "deliver", "webhooks", "sweep"])
def test_no_function_loads_the_tooling(function: str) -> None:
    assert not {m for m in loaded_modules(function) if m.split(".")[0] == "herald_tools"}


@pytest.mark.parametrize("function", ["api", "render", "deliver", "webhooks"])
def test_only_the_relay_loads_the_pubsub_client(function: str) -> None:
    assert "google.cloud.pubsub_v1" not in loaded_modules(function)
