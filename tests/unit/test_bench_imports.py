"""The import benchmark builds, in each function's module, the service its first request
builds: a renamed service fails here, not half-way through `./herald bench`."""

from __future__ import annotations

from pathlib import Path

from bench.imports import MEASURED
from herald.bootstrap import Services
from herald.topology import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_each_measured_function_has_its_service_in_the_composition_root() -> None:
    sources = {spec.name: ROOT / spec.source for spec in FUNCTIONS}
    for name in MEASURED:
        assert name in vars(Services), f"Services has no {name}"
        assert f"services.{name}" in sources[name].read_text(), sources[name]
