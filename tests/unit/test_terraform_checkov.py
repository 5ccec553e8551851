"""checkov over terraform/, offline: no failed check but those in the skip file.

checkov pins versions of packages Herald also uses (it would downgrade
``packaging``) and brings some sixty more, so it lives in a virtual environment
of its own (``tests/unit/tool_venvs.py``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.tool_venvs import tool

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
SKIPS = TERRAFORM / "checkov-skips.yaml"
CHECKOV_VERSION = "3.3.30"


def checkov() -> Path:
    return tool("checkov", CHECKOV_VERSION, "checkov")


def skips() -> dict[str, str]:
    listed: dict[str, str] = yaml.safe_load(SKIPS.read_text())
    return listed


def failed_checks() -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(checkov()),
            "--skip-download",
            "--framework",
            "terraform",
            "--quiet",
            "--output",
            "json",
            "--directory",
            str(TERRAFORM),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    failed: list[dict[str, Any]] = []
    for report in reports if isinstance(reports, list) else [reports]:
        assert report["summary"]["parsing_errors"] == 0, report["summary"]
        failed += report["results"]["failed_checks"]
    return failed


def test_every_skip_has_a_reason() -> None:
    for check, reason in skips().items():
        assert check.startswith("CKV"), check
        assert len(reason.split()) >= 10, f"{check}: say why"


@pytest.mark.timeout(900)
def test_checkov_finds_nothing_but_the_listed_skips() -> None:
    failed = failed_checks()
    unexpected = sorted(
        {f"{f['check_id']} {f['check_name']} ({f['resource']})" for f in failed}
        - {
            f"{f['check_id']} {f['check_name']} ({f['resource']})"
            for f in failed
            if f["check_id"] in skips()
        }
    )
    assert unexpected == [], "fix these, or list them with a reason in checkov-skips.yaml"
    stale = set(skips()) - {f["check_id"] for f in failed}
    assert not stale, f"no longer failing, remove from checkov-skips.yaml: {stale}"
