"""Each function's archive installs into a clean virtual environment and imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from herald.packaging import build, requirements
from herald.topology import FUNCTIONS, function

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_archives_are_deterministic_and_named_by_their_content(tmp_path: Path) -> None:
    first = build(ROOT, tmp_path / "a", function("render"))
    second = build(ROOT, tmp_path / "b", function("render"))
    assert first.digest == second.digest and first.path.name == second.path.name
    assert first.path.name.startswith("render-") and first.digest.startswith(
        first.path.name.removeprefix("render-").removesuffix(".zip")
    )
    names = zipfile.ZipFile(first.path).namelist()
    assert "main.py" in names and "herald/bootstrap.py" in names
    assert not [n for n in names if n.startswith(("herald/local/", "herald/ops/"))]


def test_only_the_relay_and_the_sweep_require_pubsub() -> None:
    needing = {f.name for f in FUNCTIONS if "google-cloud-pubsub==" in requirements(f)}
    assert needing == {"relay", "sweep"}


@pytest.mark.parametrize("name", [f.name for f in FUNCTIONS])
def test_an_archive_installs_in_a_clean_venv_and_its_function_imports(
    name: str, tmp_path: Path
) -> None:
    archive = build(ROOT, tmp_path / "out", function(name))
    source = tmp_path / "source"
    zipfile.ZipFile(archive.path).extractall(source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(source / "requirements.txt")],
        check=True,
    )
    probe = "import main, sys; assert callable(main.handle); print('herald' in sys.modules)"
    result = subprocess.run(
        [str(python), "-c", probe], cwd=source, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
