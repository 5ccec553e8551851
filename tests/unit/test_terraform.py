"""Terraform that cannot be planned here is at least well-formed and complete."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from herald.topology import FUNCTIONS, Trigger

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
MODULES = [TERRAFORM, *sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())]


def _plain(value: Any) -> Any:
    """python-hcl2 keeps HCL's quotes on keys and literals; drop them to compare plainly."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parsed(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        document: dict[str, Any] = _plain(hcl2.load(handle))
        return document


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_each_module_has_the_standard_files_and_documented_typed_variables(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (module / name).exists(), f"{module.name}/{name}"
    for block in parsed(module / "variables.tf").get("variable", []):
        for name, variable in block.items():
            assert variable.get("description"), f"{module.name}: variable {name}"
            assert variable.get("type"), f"{module.name}: variable {name}"
    for block in parsed(module / "outputs.tf").get("output", []):
        for name, output in block.items():
            assert output.get("description"), f"{module.name}: output {name}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_provider_versions_are_bounded(module: Path) -> None:
    [terraform] = parsed(module / "versions.tf")["terraform"]
    google = terraform["required_providers"][0]["google"]
    assert "<" in google["version"] and ">=" in google["version"]


def test_every_push_subscription_never_expires_and_dead_letters() -> None:
    resources = parsed(TERRAFORM / "modules" / "messaging" / "main.tf")["resource"]
    [push] = [
        r["google_pubsub_subscription"]["push"]
        for r in resources
        if "push" in r.get("google_pubsub_subscription", {})
    ]
    assert push["expiration_policy"][0]["ttl"] == ""
    assert push["dead_letter_policy"]
    assert push["push_config"][0]["oidc_token"]


def test_the_root_reads_the_generated_event_table() -> None:
    assert 'file("${path.module}/events.json")' in (TERRAFORM / "main.tf").read_text()


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_the_example_gives_a_url_to_every_pub_sub_function() -> None:
    [module] = parsed(TERRAFORM / "examples" / "basic" / "main.tf")["module"]
    urls = module["herald"]["consumer_urls"]
    assert set(urls) == {f.name for f in FUNCTIONS if f.trigger == Trigger.PUBSUB}


def test_terraform_fmt_is_clean() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", str(TERRAFORM)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
