"""Terraform read offline: parsed with python-hcl2, and a module's locals and
variable validations evaluated by terraform itself.

``terraform/`` is the reusable module (with its submodules under ``modules/``);
each environment is a root of its own under ``terraform/envs/`` that calls it, as
``terraform/examples/basic`` does.

The google provider cannot be downloaded here, so a module cannot be planned as
it stands. Its ``variables.tf`` and ``locals`` blocks need no provider, though:
copied alone into a scratch directory, ``terraform console`` evaluates the locals
and ``terraform plan`` runs the validations, against the real expressions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())
ALL_MODULES = [TERRAFORM, *MODULES]
ENV_ROOTS = sorted(p for p in (TERRAFORM / "envs").iterdir() if p.is_dir())
EXAMPLES = sorted(p for p in (TERRAFORM / "examples").iterdir() if p.is_dir())
ROOTS = [*ENV_ROOTS, *EXAMPLES]
HAS_TERRAFORM = shutil.which("terraform") is not None
_LOCALS = re.compile(r"^locals \{.*?^\}\n", re.S | re.M)


def _plain(value: Any) -> Any:
    """python-hcl2 keeps HCL's quotes on keys and literals; drop them, and its markers."""
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


def blocks(document: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Blocks of one kind (variable, output, module, ...) by name."""
    return {name: body for block in document.get(kind, []) for name, body in block.items()}


def module_call(root: Path) -> dict[str, Any]:
    """The arguments an environment root or example passes to Herald's module."""
    call: dict[str, Any] = blocks(parsed(root / "main.tf"), "module")["herald"]
    return call


def resources(module: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource in a module's .tf files."""
    for path in sorted(module.glob("*.tf")):
        for block in parsed(path).get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    yield kind, name, body


def all_resources() -> Iterator[tuple[Path, str, str, dict[str, Any]]]:
    for module in ALL_MODULES:
        for kind, name, body in resources(module):
            yield module, kind, name, body


def _scratch(module: Path, into: Path, variables: Mapping[str, Any]) -> Path:
    """A provider-free copy of a module: its variables, its locals, the files they read."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(module / "variables.tf", into / "variables.tf")
    (into / "locals.tf").write_text("\n".join(_LOCALS.findall((module / "main.tf").read_text())))
    for data in module.glob("*.json"):
        shutil.copy(data, into / data.name)
    (into / "terraform.tfvars.json").write_text(json.dumps(variables))
    return into


def evaluate(module: Path, expression: str, variables: Mapping[str, Any], scratch: Path) -> Any:
    """The value of ``expression`` (e.g. ``local.settings``) in ``module`` given ``variables``."""
    directory = _scratch(module, scratch, variables)
    result = subprocess.run(
        ["terraform", "console"],
        input=f"jsonencode({expression})\n",
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(json.loads(result.stdout))


def plan_errors(module: Path, variables: Mapping[str, Any], scratch: Path) -> str:
    """What ``terraform plan`` says is wrong with ``variables`` (empty if valid)."""
    directory = _scratch(module, scratch, variables)
    subprocess.run(
        ["terraform", "init", "-input=false", "-no-color"],
        capture_output=True,
        cwd=directory,
        check=True,
        timeout=120,
    )
    result = subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color"],
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=120,
    )
    if result.returncode == 0:
        return ""
    return " ".join(result.stderr.replace("│", " ").split())


def registry() -> dict[str, Any]:
    table: dict[str, Any] = json.loads((TERRAFORM / "events.json").read_text())
    return table
