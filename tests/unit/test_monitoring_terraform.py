"""The monitoring module: a complete module whose dashboard charts what Herald runs on and emits."""

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

MODULE = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "monitoring"
MESSAGING = MODULE.parent / "messaging"

HERALD_METRICS = {
    "messages.outcomes",
    "delivery.retries",
    "provider.latency",
    "provider.errors",
    "sends",
    "feedback",
    "callbacks.refused",
    "quota.refused",
}
DEAD_LETTERS = "pubsub.googleapis.com/subscription/dead_letter_message_count"
OLDEST_UNACKED = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps HCL's quotes on keys and string literals; drop them, and its markers."""
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parsed(name: str) -> dict[str, Any]:
    with (MODULE / name).open() as handle:
        document: dict[str, Any] = _unquote(hcl2.load(handle))
        return document


def blocks(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """Blocks of one kind (variable, output, ...) by name."""
    return {name: body for block in document.get(kind, []) for name, body in block.items()}


def locals_() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in parsed("main.tf").get("locals", []):
        merged.update(block)
    return merged


def values_of(tree: Any, key: str) -> Iterator[str]:
    """Every string value stored under ``key`` anywhere in a parsed tree."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from values_of(v, key)
    elif isinstance(tree, list):
        for item in tree:
            yield from values_of(item, key)


def strings(tree: Any) -> Iterator[str]:
    """Every string in a parsed tree, expressions' source text included."""
    if isinstance(tree, dict):
        for value in tree.values():
            yield from strings(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from strings(item)
    elif isinstance(tree, str):
        yield tree


def metric_types(text: str) -> set[str]:
    """``metric.type="..."`` values in a filter, with HCL's escaping of the quotes undone."""
    return set(re.findall(r'metric\.type="([^"]+)"', text.replace('\\"', '"')))


# --- the module's shape -----------------------------------------------------------


def test_the_four_standard_files_exist() -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (MODULE / name).is_file(), name


def test_versions_are_those_of_the_other_modules() -> None:
    assert (MODULE / "versions.tf").read_text() == (MESSAGING / "versions.tf").read_text()


def test_every_variable_has_a_description_and_a_type() -> None:
    variables = blocks(parsed("variables.tf"), "variable")
    assert set(variables) == {"project_id", "functions", "metric_prefix"}
    for name, variable in variables.items():
        assert str(variable.get("description", "")).strip(), f"variable {name}: description"
        assert variable.get("type"), f"variable {name}: type"
    assert variables["functions"]["type"] == "${list(string)}"
    assert variables["metric_prefix"]["default"] == "workload.googleapis.com/herald"


def test_the_dashboard_id_is_an_output() -> None:
    outputs = blocks(parsed("outputs.tf"), "output")
    assert outputs["dashboard_id"]["description"]
    assert outputs["dashboard_id"]["value"] == "${google_monitoring_dashboard.herald.id}"


# --- the dashboard ----------------------------------------------------------------


def test_one_dashboard_built_with_jsonencode_as_a_mosaic() -> None:
    resources = [r for block in parsed("main.tf")["resource"] for r in block.items()]
    dashboards = [body for kind, body in resources if kind == "google_monitoring_dashboard"]
    assert len(dashboards) == 1 and len(dashboards[0]) == 1
    [dashboard] = dashboards[0].values()
    assert dashboard["project"] == "${var.project_id}"
    assert dashboard["dashboard_json"] == "${jsonencode(local.dashboard)}"

    layout = locals_()["dashboard"]["mosaicLayout"]
    assert "local.function_tiles" in layout["tiles"]
    assert "local.pipeline_tiles" in layout["tiles"]
    assert "local.pipeline_widgets" in locals_()["pipeline_tiles"]


def test_the_dashboard_charts_herald_metrics_and_dead_letters() -> None:
    # Some data sets are for expressions, which python-hcl2 keeps as source text: read all text.
    charted = metric_types(" ".join(strings(locals_()["pipeline_widgets"])))
    prefix = "${var.metric_prefix}/"
    assert {m.removeprefix(prefix) for m in charted if m.startswith(prefix)} == HERALD_METRICS
    assert DEAD_LETTERS in charted
    assert OLDEST_UNACKED in charted


def test_every_function_gets_cloud_run_requests_and_latency() -> None:
    tiles = locals_()["function_tiles"]  # one for expression, kept as its source text
    assert "for row, function in var.functions" in tiles
    assert metric_types(tiles) == {
        "run.googleapis.com/request_count",
        "run.googleapis.com/request_latencies",
    }
    unescaped = tiles.replace('\\"', '"')
    assert unescaped.count('resource.type="cloud_run_revision"') == 2
    assert unescaped.count('resource.labels.service_name="${function}"') == 2
    assert "REDUCE_PERCENTILE_${percentile}" in tiles and '["50", "99"]' in tiles


# --- the dashboard as Terraform renders it ----------------------------------------


def render(tmp_path: Path, functions: list[str], metric_prefix: str) -> dict[str, Any]:
    """Evaluate ``local.dashboard`` with ``terraform console`` (no provider needed)."""
    source = (MODULE / "main.tf").read_text()
    without_resource = re.sub(
        r'^resource "google_monitoring_dashboard".*?^\}\n', "", source, flags=re.S | re.M
    )
    assert without_resource != source
    (tmp_path / "main.tf").write_text(without_resource)
    shutil.copy(MODULE / "variables.tf", tmp_path / "variables.tf")
    result = subprocess.run(
        [
            "terraform",
            "console",
            "-var=project_id=herald-test",
            f"-var=functions={json.dumps(functions)}",
            f"-var=metric_prefix={metric_prefix}",
        ],
        input="jsonencode(local.dashboard)\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    dashboard: dict[str, Any] = json.loads(json.loads(result.stdout))
    return dashboard


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_the_rendered_dashboard_has_a_tile_layout_without_overlaps(tmp_path: Path) -> None:
    functions = ["api", "relay", "render", "deliver", "log"]
    dashboard = render(tmp_path, functions, "custom.googleapis.com/herald-test")
    layout = dashboard["mosaicLayout"]
    tiles = layout["tiles"]
    assert len(tiles) == 2 * len(functions) + 10  # two dead-letter and backlog tiles, eight metrics

    occupied: set[tuple[int, int]] = set()
    for tile in tiles:
        assert tile["xPos"] >= 0 and tile["xPos"] + tile["width"] <= layout["columns"]
        cells = {
            (x, y)
            for x in range(tile["xPos"], tile["xPos"] + tile["width"])
            for y in range(tile["yPos"], tile["yPos"] + tile["height"])
        }
        assert not cells & occupied, tile["widget"]["title"]
        occupied |= cells

    filters = list(values_of(tiles, "filter"))
    charted = set().union(*map(metric_types, filters))
    assert {f"custom.googleapis.com/herald-test/{m}" for m in HERALD_METRICS} <= charted
    assert DEAD_LETTERS in charted
    for function in functions:
        mine = [f for f in filters if f'resource.labels.service_name="{function}"' in f]
        assert len(mine) == 3, function  # request count, latency p50, latency p99
        assert all('resource.type="cloud_run_revision"' in f for f in mine)
    # Legends are Monitoring's templates, not Terraform interpolations.
    legends = set(values_of(tiles, "legendTemplate"))
    assert "${metric.labels.provider} p99" in legends
