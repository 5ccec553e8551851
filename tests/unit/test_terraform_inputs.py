"""Bad input to the Terraform is refused at plan time with an error that says what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.tfeval import (
    ENV_ROOTS,
    HAS_TERRAFORM,
    TERRAFORM,
    blocks,
    module_call,
    parsed,
    plan_errors,
    registry,
)

pytestmark = pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")

SECRETS = TERRAFORM / "modules" / "secrets"
SCHEDULER = TERRAFORM / "modules" / "scheduler"
DELIVERY = TERRAFORM / "modules" / "delivery"
FUNCTIONS = TERRAFORM / "modules" / "functions"


def root(**values: Any) -> dict[str, Any]:
    return {"project_id": "herald-test", **values}


def test_the_defaults_are_accepted(tmp_path: Path) -> None:
    assert plan_errors(TERRAFORM, root(), tmp_path) == ""


@pytest.mark.parametrize("root", ENV_ROOTS, ids=lambda p: p.name)
def test_every_environment_root_s_settings_are_accepted(root: Path, tmp_path: Path) -> None:
    settings = {name: value for name, value in module_call(root).items() if name != "source"}
    # The image the root's variable defaults to, and one the build passes.
    [image] = blocks(parsed(root / "variables.tf"), "variable").values()
    assert settings["realtime"] == {"image": "${var.realtime_image}"}
    for n, tag in enumerate(("latest", "3f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e", "build-0f6c")):
        settings["realtime"] = {"image": image["default"].replace(":latest", f":{tag}")}
        assert plan_errors(TERRAFORM, settings, tmp_path / str(n)) == "", tag


REALTIME_IMAGE = "us-central1-docker.pkg.dev/herald-test/herald/herald-realtime"


@pytest.mark.parametrize(
    ("image", "accepted"),
    [
        (f"{REALTIME_IMAGE}:latest", True),
        (f"{REALTIME_IMAGE}@sha256:{'a' * 64}", True),
        (f"europe-west1-docker.pkg.dev/herald-prod/images/realtime:{'v' * 128}", True),
        (REALTIME_IMAGE, False),  # no tag: whatever is latest when Cloud Run pulls
        (f"{REALTIME_IMAGE}:", False),  # a build without a commit, had it no fallback
        (f"{REALTIME_IMAGE}:{'v' * 129}", False),
        (f"{REALTIME_IMAGE}@sha256:abc", False),
        ("docker.io/library/python:3.11", False),
        (f"{REALTIME_IMAGE}:latest; rm -rf /", False),
        ("", False),
    ],
)
def test_the_realtime_image_is_an_artifact_registry_image_with_a_tag_or_digest(
    image: str, accepted: bool, tmp_path: Path
) -> None:
    errors = plan_errors(TERRAFORM, root(realtime={"image": image}), tmp_path)
    assert (errors == "") is accepted, errors
    if not accepted:
        assert "realtime.image must be an Artifact Registry image with a tag or a digest" in errors


@pytest.mark.parametrize(
    ("location", "region", "accepted"),
    [
        ("nam5", "us-central1", True),
        ("nam5", "us-east1", True),
        ("nam5", "us-central2", False),  # private: no function runs there
        ("nam5", "europe-west1", False),
        ("eur3", "europe-west1", True),
        ("eur3", "europe-west4", True),
        ("eur3", "europe-north1", True),
        ("eur3", "us-central1", False),
        ("europe-west3", "europe-west1", True),  # a regional database constrains nothing
    ],
)
def test_the_functions_of_a_multi_region_database_run_inside_it(
    location: str, region: str, accepted: bool, tmp_path: Path
) -> None:
    errors = plan_errors(TERRAFORM, root(firestore_location=location, region=region), tmp_path)
    if accepted:
        assert errors == ""
    else:
        assert f"region {region} lies outside the {location} multi-region" in errors


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
        ({"environment": {"HERALD_LOCAL_STACK": "1"}}, "are for the local stack only"),
        ({"environment": {"FIRESTORE_EMULATOR_HOST": "x:1"}}, "are for the local stack only"),
        ({"environment": {"HERALD_WEBHOOK_ALLOW_PRIVATE": " TRUE"}}, "for the local stack only"),
        (
            {"environment": {"HERALD_SLACK_ALLOWED_HOSTS": "hooks.slack.com,127.0.0.1"}},
            "must not name loopback, private or link-local hosts",
        ),
        (
            {"environment": {"HERALD_SLACK_ALLOWED_HOSTS": "100.64.0.9"}},
            "must not name loopback, private or link-local hosts",
        ),
        ({"environment": {"HERALD_MAX_MESSAGES_PER_REQUEST": "0"}}, "must be positive integers"),
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


def test_a_function_name_too_long_for_its_account_ids_is_refused(tmp_path: Path) -> None:
    function = {
        "trigger": "schedule",
        "description": "x",
        "entry_point": "handle",
        "publishes": False,
        "secrets": [],
    }
    inputs = {
        "project_id": "herald-test",
        "pubsub_agent": "serviceAccount:agent@example.iam.gserviceaccount.com",
        "region": "europe-west1",
        "sources": {"bucket": "sources", "objects": {}},
        "outbox": registry()["outbox"],
        "firestore": {"database": "(default)", "location": "eur3"},
        "enabled_providers": ["smtp"],
    }
    longest = inputs | {"functions": {"a" * 14: function}}
    assert plan_errors(FUNCTIONS, longest, tmp_path / "a") == ""
    for name in ("a" * 15, "sweep-"):
        errors = plan_errors(FUNCTIONS, inputs | {"functions": {name: function}}, tmp_path / name)
        assert "Function names must be 1-14 lowercase letters" in errors, name


def delivery(**values: Any) -> dict[str, Any]:
    return {
        "project_id": "herald-test",
        "environment": "dev",
        "github": {"owner": "example-org", "name": "herald"},
        "state_bucket": "herald-tfstate-dev",
        **values,
    }


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({}, ""),
        ({"deploy_branch": "release/v2"}, ""),
        ({"deploy_branch": "main|.*"}, "deploy_branch must be a branch name"),
        ({"deploy_branch": ""}, "deploy_branch must be a branch name"),
        ({"environment": "Prod"}, "environment must be the name of a directory"),
        ({"environment": "e" * 31}, "environment must be the name of a directory"),
        ({"approvers": ["allUsers"]}, "Every approver is a user:, group:"),
        ({"approvers": ["group:deployers@example.com"]}, ""),
    ],
)
def test_the_delivery_triggers_refuse(values: dict[str, Any], error: str, tmp_path: Path) -> None:
    errors = plan_errors(DELIVERY, delivery(**values), tmp_path)
    assert error in errors if error else errors == ""


def test_production_settings_in_the_environment_are_accepted(tmp_path: Path) -> None:
    environment = {
        "HERALD_WEBHOOK_ALLOW_PRIVATE": "false",
        "HERALD_SLACK_ALLOWED_HOSTS": "hooks.slack.com,slack.example.com",
        "HERALD_MAX_MESSAGES_PER_REQUEST": "5000",
    }
    assert plan_errors(TERRAFORM, root(environment=environment), tmp_path) == ""
