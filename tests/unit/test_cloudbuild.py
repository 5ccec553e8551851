"""cloudbuild.yaml runs the whole pipeline in order and is valid as Cloud Build reads it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
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
        "realtime-image",
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


def test_each_environment_root_is_planned_and_applied_in_its_own_directory() -> None:
    for step_id in ("terraform-plan", "terraform-apply"):
        assert steps()[step_id]["dir"] == "terraform/envs/${_ENV}", step_id
    assert "-out=herald.tfplan" in script(steps()["terraform-plan"])
    default = build()["substitutions"]["_ENV"]
    assert (ROOT / "terraform" / "envs" / default / "backend.tf").exists()


def run_step(
    step_id: str, tmp_path: Path, tool: str = "terraform", **substitutions: str
) -> list[str]:
    """The ``tool`` (terraform or docker) commands a step runs, given the substitutions
    a build sets; both are stand-ins that log their arguments."""
    declared = {name: str(value) for name, value in build()["substitutions"].items()}
    values = {name: "" for name in BUILT_IN} | declared | substitutions
    values["_REALTIME_IMAGE"] = substituted(values["_REALTIME_IMAGE"], values)
    (tmp_path / "bin").mkdir(parents=True, exist_ok=True)
    for name in ("terraform", "docker"):
        fake = tmp_path / "bin" / name
        fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / name}.log\n')
        fake.chmod(0o755)
    log = tmp_path / f"{tool}.log"
    log.unlink(missing_ok=True)
    if step_id == "terraform-plan" and not (tmp_path / "realtime-image").exists():
        run_step("realtime-image", tmp_path, **substitutions)
    text = substituted(script(steps()[step_id]), values).replace("/workspace/", f"{tmp_path}/")
    environment = os.environ | {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    shell = "sh" if steps()[step_id]["entrypoint"] == "sh" else "bash"
    subprocess.run([shell, "-c", text], cwd=tmp_path, env=environment, check=True)
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("branch", ["", "main", "feature/x"])
def test_no_build_applies_unless_the_apply_trigger_says_so(branch: str, tmp_path: Path) -> None:
    # A manual build has an empty branch, and `--substitutions=_DEPLOY_BRANCH=` made
    # the deploy branch empty too: the two matched and the build applied. Neither the
    # branch nor a substitution a build may set decides now.
    bypass = {"BRANCH_NAME": branch, "REF_NAME": branch, "_DEPLOY_BRANCH": branch}
    ran = run_step("terraform-apply", tmp_path, **bypass)
    assert not any(command.startswith("apply") for command in ran)


def test_the_apply_trigger_s_build_applies_its_plan_and_keeps_the_outputs(tmp_path: Path) -> None:
    ran = run_step("terraform-apply", tmp_path, _APPLY="true")
    assert ran == ["apply -input=false herald.tfplan", "output -json"]
    assert (tmp_path / "terraform-outputs.json").exists()
    assert "terraform-outputs.json" in script(steps()["smoke-test"])
    assert "herald keys create" in script(steps()["smoke-test"])
    assert "pytest tests/smoke" in script(steps()["smoke-test"])
    assert (ROOT / "tests" / "smoke" / "test_deployed.py").exists()


def test_a_plan_only_build_reads_the_state_and_nothing_else(tmp_path: Path) -> None:
    # The plan account may read the state bucket only: no lock to write, no refresh.
    commit = {"PROJECT_ID": "herald-dev", "COMMIT_SHA": "3f1c2e0"}
    image = "realtime_image=us-central1-docker.pkg.dev/herald-dev/herald/herald-realtime:3f1c2e0"
    ran = run_step("terraform-plan", tmp_path, **commit)
    assert (
        ran[-1] == f"plan -input=false -lock=false -refresh=false -var={image} -out=herald.tfplan"
    )
    applying = run_step("terraform-plan", tmp_path / "apply", _APPLY="true", **commit)
    assert applying[-1] == f"plan -input=false -var={image} -out=herald.tfplan"
    assert [command.split()[0] for command in ran] == ["init", "validate", "plan"]


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


# --- the real-time service's image ------------------------------------------------------

REALTIME = "us-central1-docker.pkg.dev/herald-dev/herald/herald-realtime"


def test_every_build_builds_the_realtime_image_tagged_by_its_commit(tmp_path: Path) -> None:
    step = steps()["realtime-image"]
    assert step["name"] == "gcr.io/cloud-builders/docker"
    built = run_step(
        "realtime-image", tmp_path, "docker", PROJECT_ID="herald-dev", COMMIT_SHA="3f1c2e0"
    )
    assert built == [
        "build --file services/realtime/Dockerfile "
        f"--tag {REALTIME}:3f1c2e0 --tag {REALTIME}:latest ."
    ]
    assert (ROOT / "services" / "realtime" / "Dockerfile").exists()
    # A build submitted by hand has no commit: its id names the image instead.
    by_hand = run_step(
        "realtime-image", tmp_path / "hand", "docker", PROJECT_ID="herald-dev", BUILD_ID="b-1"
    )
    assert f"--tag {REALTIME}:build-b-1" in by_hand[0]
    assert (tmp_path / "hand" / "realtime-image").read_text().strip() == f"{REALTIME}:build-b-1"


def test_only_the_apply_trigger_s_build_pushes_the_realtime_image_before_applying(
    tmp_path: Path,
) -> None:
    commit = {"PROJECT_ID": "herald-dev", "COMMIT_SHA": "3f1c2e0"}
    planned = run_step("realtime-image", tmp_path / "plan", "docker", **commit)
    assert not any(command.startswith("push") for command in planned)
    applied = run_step("realtime-image", tmp_path / "apply", "docker", _APPLY="true", **commit)
    assert applied[1:] == [f"push {REALTIME}:3f1c2e0", f"push {REALTIME}:latest"]
    order = list(steps())
    assert order.index("realtime-image") < order.index("terraform-plan")


def test_the_realtime_image_lives_in_the_repository_the_delivery_module_creates() -> None:
    from tests.unit.tfeval import TERRAFORM, blocks, parsed

    variables = blocks(parsed(TERRAFORM / "modules" / "delivery" / "variables.tf"), "variable")
    region, repository = variables["region"]["default"], variables["repository"]["default"]
    assert build()["substitutions"]["_REALTIME_IMAGE"] == (
        f"{region}-docker.pkg.dev/${{PROJECT_ID}}/{repository}/herald-realtime"
    )


def test_the_realtime_image_s_context_is_what_its_dockerfile_copies() -> None:
    # Built from the repository's root after the tests: without the ignore file, the
    # context would carry .venv and build/ into every build.
    copied = {
        source
        for line in (ROOT / "services" / "realtime" / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    }
    rules = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert rules[0] == "*"
    assert {rule.removeprefix("!") for rule in rules[1:]} == copied
