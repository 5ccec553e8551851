"""The deploy gate is the Cloud Build triggers' accounts and an approval, declared in
Terraform: plans run as an account that can read the state and nothing else, and
only the approved apply trigger runs as the account that can deploy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.tfeval import (
    ENV_ROOTS,
    HAS_TERRAFORM,
    TERRAFORM,
    blocks,
    evaluate,
    parsed,
    resources,
)

DELIVERY = TERRAFORM / "modules" / "delivery"
PLAN_MEMBER = "${google_service_account.plan.member}"
DEPLOY_MEMBER = "${google_service_account.deploy.member}"
# Read-only rights: nothing that writes, and nothing that reads data or secrets.
PLAN_ROLES = {"roles/logging.logWriter", "roles/storage.objectViewer"}


def found() -> dict[tuple[str, str], dict[str, Any]]:
    return {(kind, name): body for kind, name, body in resources(DELIVERY)}


def triggers() -> dict[str, dict[str, Any]]:
    return {
        name: body for (kind, name), body in found().items() if kind == "google_cloudbuild_trigger"
    }


def deploy_locals() -> dict[str, Any]:
    [locals_] = parsed(DELIVERY / "main.tf")["locals"]
    return dict(locals_)


def test_there_are_two_plan_triggers_one_apply_trigger_and_the_image_trigger() -> None:
    assert set(triggers()) == {"plan_branches", "plan_pull_requests", "apply", "builder_image"}
    for name, trigger in triggers().items():
        if name == "builder_image":  # its own config: tests/unit/test_builder_image.py
            continue
        assert trigger["filename"] == "${var.build_config}", name
        assert trigger["github"][0]["owner"] == "${var.github.owner}", name


def test_every_branch_but_the_deploying_one_and_every_pull_request_only_plans() -> None:
    branches, pulls = triggers()["plan_branches"], triggers()["plan_pull_requests"]
    for trigger in (branches, pulls):
        assert trigger["service_account"] == "${google_service_account.plan.id}"
        assert trigger["substitutions"] == "${local.plan_substitutions}"
        assert "approval_config" not in trigger
    push = branches["github"][0]["push"][0]
    assert push == {"branch": "${local.deploy_branch}", "invert_regex": True}
    pull_request = pulls["github"][0]["pull_request"][0]
    assert pull_request["branch"] == ".*"
    assert pull_request["comment_control"] == "COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY"


def test_only_the_apply_trigger_deploys_and_only_once_approved() -> None:
    apply = triggers()["apply"]
    assert apply["service_account"] == "${google_service_account.deploy.id}"
    assert apply["approval_config"] == [{"approval_required": True}]
    assert apply["substitutions"] == "${local.apply_substitutions}"
    assert apply["github"][0]["push"] == [{"branch": "${local.deploy_branch}"}]
    others = [t for name, t in triggers().items() if name != "apply"]
    assert "_APPLY" not in str(others)


def test_the_plan_account_can_read_the_state_and_write_its_logs_and_nothing_else() -> None:
    granted = {
        (kind, name): body
        for (kind, name), body in found().items()
        if "iam" in kind and body.get("member") == PLAN_MEMBER
    }
    assert set(granted) == {
        ("google_project_iam_member", "plan"),
        ("google_storage_bucket_iam_member", "plan_state"),
        ("google_artifact_registry_repository_iam_member", "reader"),
    }
    # It pulls the builder image its steps run in, and pushes nothing.
    pull = granted["google_artifact_registry_repository_iam_member", "reader"]
    assert pull["role"] == "roles/artifactregistry.reader"
    assert granted["google_project_iam_member", "plan"]["for_each"] == "${toset(local.plan_roles)}"
    assert deploy_locals()["plan_roles"] == ["roles/logging.logWriter"]
    state = granted["google_storage_bucket_iam_member", "plan_state"]
    assert state["bucket"] == "${var.state_bucket}"
    assert {state["role"], *deploy_locals()["plan_roles"]} == PLAN_ROLES
    # The plan account is granted nothing through any other resource, or in any other module.
    for path in TERRAFORM.rglob("*.tf"):
        if path.parent != DELIVERY:
            assert "google_service_account.plan" not in path.read_text(), path


def test_the_deploying_account_pushes_the_realtime_image_it_deploys() -> None:
    # cloudbuild.yaml's realtime-image step pushes to the builds repository in the
    # apply trigger's builds alone; writer includes pulling the builder image.
    writers = {
        name: body
        for (kind, name), body in found().items()
        if kind == "google_artifact_registry_repository_iam_member"
        and body["role"] == "roles/artifactregistry.writer"
    }
    assert {body["member"] for body in writers.values()} == {
        DEPLOY_MEMBER,
        "${google_service_account.image.member}",
    }
    for body in writers.values():
        assert body["repository"] == "${google_artifact_registry_repository.builds.name}"


def test_the_deploying_account_can_deploy_and_smoke_test() -> None:
    roles = set(deploy_locals()["deploy_roles"])
    # The smoke test reads the send's trace, and writes its API key to Firestore.
    assert {"roles/cloudtrace.user", "roles/datastore.owner"} <= roles
    assert "roles/cloudbuild.builds.editor" in roles  # it keeps these triggers
    assert not roles & {"roles/owner", "roles/editor", "roles/viewer"}
    assert found()["google_project_iam_member", "deploy"]["member"] == DEPLOY_MEMBER
    state = found()["google_storage_bucket_iam_member", "deploy_state"]
    assert (state["member"], state["role"]) == (DEPLOY_MEMBER, "roles/storage.objectAdmin")


@pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")
def test_the_triggers_name_their_environment_and_only_the_apply_trigger_applies(
    tmp_path: Path,
) -> None:
    inputs = {
        "project_id": "herald-test",
        "environment": "staging",
        "github": {"owner": "example-org", "name": "herald"},
        "deploy_branch": "release/v2",
        "state_bucket": "herald-tfstate-staging",
    }
    derived = evaluate(
        DELIVERY,
        "{ branch = local.deploy_branch, plan = local.plan_substitutions, apply = local.apply_substitutions }",
        inputs,
        tmp_path,
    )
    # Only the apply trigger's builds apply.
    assert derived["plan"] == {"_ENV": "staging"}
    assert derived["apply"] == {"_ENV": "staging", "_APPLY": "true"}
    branch = re.compile(derived["branch"])
    assert branch.search("release/v2")
    assert not branch.search("release/v2-hotfix") and not branch.search("x-release/v2")


def test_every_environment_root_declares_its_triggers() -> None:
    for root in ENV_ROOTS:
        delivery = blocks(parsed(root / "main.tf"), "module")["herald"]["delivery"]
        assert delivery["environment"] == root.name
        assert delivery["github"]["owner"] and delivery["github"]["name"]
    # The example needs none.
    example = blocks(parsed(TERRAFORM / "examples" / "basic" / "main.tf"), "module")["herald"]
    assert "delivery" not in example
    root = blocks(parsed(TERRAFORM / "main.tf"), "module")["delivery"]
    assert root["count"] == "${var.delivery == null ? 0 : 1}"
