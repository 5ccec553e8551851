"""Which target an operator command resolves: emulators, a project named, the local stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from herald_tools.ops.target import NoTarget, resolve


def test_emulator_variables_come_first(tmp_path: Path) -> None:
    target = resolve(None, tmp_path, {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8681"})
    assert (target.project, target.local) == ("herald-local", True)
    assert target.env["FIRESTORE_EMULATOR_HOST"] == "127.0.0.1:8681"
    assert "127.0.0.1:8681" in target.described


def test_a_project_is_real_only_when_named_and_the_flag_wins(tmp_path: Path) -> None:
    by_env = resolve(None, tmp_path, {"GOOGLE_CLOUD_PROJECT": "herald-dev"})
    assert (by_env.project, by_env.local) == ("herald-dev", False)
    assert "named by GOOGLE_CLOUD_PROJECT" in by_env.described
    by_flag = resolve("herald-prod", tmp_path, {"GOOGLE_CLOUD_PROJECT": "herald-dev"})
    assert (by_flag.project, by_flag.env) == (
        "herald-prod",
        {"GOOGLE_CLOUD_PROJECT": "herald-prod"},
    )
    assert "named by --project" in by_flag.described


def test_nothing_to_act_on_is_refused_with_how_to_choose(tmp_path: Path) -> None:
    with pytest.raises(NoTarget, match=r"no local stack is running .*--project PROJECT"):
        resolve(None, tmp_path, {})
