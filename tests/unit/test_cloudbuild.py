"""cloudbuild.yaml runs the whole pipeline in order and is valid as Cloud Build reads it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# Cloud Build's own substitutions (the rest must be declared, with a leading underscore).
BUILT_IN = {
    "PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA",
    "SHORT_SHA", "REVISION_ID", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME",
    "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT",
}  # fmt: skip


def build() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    return config


def script(step: dict[str, Any]) -> str:
    """The shell script a step runs (its ``-c`` argument)."""
    args = step["args"]
    return str(args[args.index("-c") + 1])


def substituted(text: str, values: dict[str, str]) -> str:
    """``text`` as Cloud Build hands it over: ``$$`` escapes, ``$NAME``/``${NAME}`` replaced."""
    parts = text.split("$$")
    pattern = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
    return "$".join(pattern.sub(lambda m: values[m.group(1)], part) for part in parts)


def steps() -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in build()["steps"]}


def test_the_steps_run_in_the_pipeline_order() -> None:
    assert list(steps()) == [
        "setup",
        "lint-and-types",
        "unit-tests",
        "integration-and-e2e-tests",
        "package",
        "terraform-plan",
        "terraform-apply",
        "smoke-test",
    ]
    assert not any("waitFor" in step for step in build()["steps"])  # each waits for the last


def test_the_checks_and_every_test_tier_run() -> None:
    all_steps = steps()
    lint = script(all_steps["lint-and-types"])
    for command in ("ruff check", "ruff format --check", "mypy", "herald generate --check"):
        assert command in lint
    assert "pytest tests/unit" in script(all_steps["unit-tests"])
    assert "pytest tests/integration tests/e2e" in script(all_steps["integration-and-e2e-tests"])
    # The builder image has terraform (the unit tests run it), Java and both emulators.
    for step_id in ("unit-tests", "integration-and-e2e-tests"):
        assert all_steps[step_id]["name"] == "${_BUILDER_IMAGE}"
    assert "install-toolchain.sh --check" in script(all_steps["setup"])
    assert "herald package --out build/functions" in script(all_steps["package"])


def test_each_environment_plans_with_its_variables_and_its_own_state() -> None:
    plan = script(steps()["terraform-plan"])
    assert "-backend-config=envs/${_ENV}.gcs.tfbackend" in plan
    assert "-var-file=envs/${_ENV}.tfvars" in plan
    assert "-out=herald.tfplan" in plan
    default = build()["substitutions"]["_ENV"]
    assert (ROOT / "terraform" / "envs" / f"{default}.tfvars").exists()


def test_only_the_deploying_branch_applies_and_then_the_deployment_is_smoke_tested() -> None:
    apply = script(steps()["terraform-apply"])
    assert '[ "$BRANCH_NAME" != "${_DEPLOY_BRANCH}" ]' in apply
    assert apply.index("exit 0") < apply.index("terraform apply -input=false herald.tfplan")
    smoke = script(steps()["smoke-test"])
    assert "terraform-outputs.json" in apply and "terraform-outputs.json" in smoke
    assert "herald keys create" in smoke and "pytest tests/smoke" in smoke
    assert (ROOT / "tests" / "smoke" / "test_deployed.py").exists()


def test_every_substitution_is_declared_or_built_in_and_every_script_parses() -> None:
    declared = build()["substitutions"]
    assert all(name.startswith("_") for name in declared)
    values = {name: "x" for name in BUILT_IN} | {name: str(v) for name, v in declared.items()}
    for step_id, step in steps().items():
        text = script(step)
        used = set(re.findall(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", "")))
        assert used <= set(values), f"{step_id}: undeclared {used - set(values)}"
        shell = "sh" if step["entrypoint"] == "sh" else "bash"
        result = subprocess.run(
            [shell, "-n"], input=substituted(text, values), capture_output=True, text=True
        )
        assert result.returncode == 0, f"{step_id}: {result.stderr}"
