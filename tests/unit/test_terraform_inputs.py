"""Bad input to the Terraform is refused at plan time with an error that says what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.tfeval import HAS_TERRAFORM, TERRAFORM, plan_errors

pytestmark = pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")

SECRETS = TERRAFORM / "modules" / "secrets"
SCHEDULER = TERRAFORM / "modules" / "scheduler"


def root(**values: Any) -> dict[str, Any]:
    return {"project_id": "herald-test", **values}


def test_the_defaults_are_accepted(tmp_path: Path) -> None:
    assert plan_errors(TERRAFORM, root(), tmp_path) == ""


@pytest.mark.parametrize("env", sorted((TERRAFORM / "envs").glob("*.tfvars")), ids=lambda p: p.stem)
def test_every_environment_s_variables_are_accepted(env: Path, tmp_path: Path) -> None:
    assert plan_errors(TERRAFORM, {}, tmp_path, var_file=env) == ""


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"project_id": "Herald"}, "project_id must be a valid project id"),
        ({"region": "europe"}, "region must be a Google Cloud region"),
        ({"firestore_location": "mars1"}, "firestore_location must be a region"),
        ({"enabled_providers": ["pigeon"]}, "enabled_providers must name at least one of"),
        ({"scaling": {"api": {"concurrency": 1}}}, "its concurrency must stay above 1"),
        ({"retry": {"max_delivery_attempts": 500}}, "5 to 100 delivery attempts"),
        ({"runtime": "nodejs20"}, "runtime must be a Python runtime"),
    ],
)
def test_the_root_refuses(values: dict[str, Any], error: str, tmp_path: Path) -> None:
    assert error in plan_errors(TERRAFORM, root(**values), tmp_path)


def test_only_a_credential_the_functions_read_can_be_mounted(tmp_path: Path) -> None:
    inputs = {"project_id": "herald-test", "names": ["SENDGRID_API_KEY"]}
    assert plan_errors(SECRETS, inputs | {"mounted": ["SENDGRID_API_KEY"]}, tmp_path / "a") == ""
    errors = plan_errors(SECRETS, inputs | {"mounted": ["AWS_SECRET"]}, tmp_path / "b")
    assert "Every mounted credential must be one the functions read" in errors


def test_the_schedule_must_be_cron_and_its_targets_https(tmp_path: Path) -> None:
    target = {"sweep": {"url": "https://sweep.example.run.app", "service": "herald-sweep"}}
    inputs = {"project_id": "herald-test", "region": "europe-west1", "targets": target}
    assert plan_errors(SCHEDULER, inputs, tmp_path / "a") == ""
    errors = plan_errors(SCHEDULER, inputs | {"schedule": "every minute"}, tmp_path / "b")
    assert "five-field cron expression" in errors
    plain = {"sweep": {"url": "http://sweep.example", "service": "herald-sweep"}}
    assert "must be https://" in plan_errors(SCHEDULER, inputs | {"targets": plain}, tmp_path / "c")
