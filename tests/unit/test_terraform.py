"""Terraform that cannot be planned here is at least well-formed, complete and
safe: the checks a reviewer would make, over the parsed HCL of every module."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from herald.topology import PROVIDER_SECRETS
from tests.unit.tfeval import (
    ALL_MODULES,
    HAS_TERRAFORM,
    TERRAFORM,
    all_resources,
    blocks,
    evaluate,
    parsed,
    resources,
)

FUNCTIONS_MODULE = TERRAFORM / "modules" / "functions"
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
ENVIRONMENTS = sorted(p.name.removesuffix(".tfvars") for p in (TERRAFORM / "envs").glob("*.tfvars"))


def of_kind(kind: str) -> list[tuple[Path, str, dict[str, Any]]]:
    return [(module, name, body) for module, k, name, body in all_resources() if k == kind]


def text(tree: Any) -> str:
    """Every string in a parsed tree, expressions' source included, joined."""
    if isinstance(tree, dict):
        return " ".join(text(v) for v in tree.values())
    if isinstance(tree, list):
        return " ".join(text(v) for v in tree)
    return str(tree)


def the_functions() -> dict[str, Any]:
    [(_, _, function)] = of_kind("google_cloudfunctions2_function")
    return function


# --- layout ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", ALL_MODULES, ids=lambda p: p.name)
def test_each_module_has_the_standard_files_and_documented_typed_variables(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (module / name).exists(), f"{module.name}/{name}"
    for name, variable in blocks(parsed(module / "variables.tf"), "variable").items():
        assert variable.get("description"), f"{module.name}: variable {name}"
        assert variable.get("type"), f"{module.name}: variable {name}"
    for name, output in blocks(parsed(module / "outputs.tf"), "output").items():
        assert output.get("description"), f"{module.name}: output {name}"


@pytest.mark.parametrize("module", ALL_MODULES, ids=lambda p: p.name)
def test_provider_versions_are_bounded(module: Path) -> None:
    [terraform] = parsed(module / "versions.tf")["terraform"]
    google = terraform["required_providers"][0]["google"]
    assert "<" in google["version"] and ">=" in google["version"]
    assert "<" in terraform["required_version"]


def test_the_root_reads_the_generated_event_table() -> None:
    assert 'file("${path.module}/events.json")' in (TERRAFORM / "main.tf").read_text()


def test_the_root_takes_no_function_urls_from_outside() -> None:
    variables = blocks(parsed(TERRAFORM / "variables.tf"), "variable")
    assert "consumer_urls" not in variables
    messaging = blocks(parsed(TERRAFORM / "main.tf"), "module")["messaging"]
    assert "module.functions.urls" in text(messaging["consumers"])


def test_the_readme_tables_list_every_root_input_and_output() -> None:
    readme = (TERRAFORM / "README.md").read_text()
    for kind in ("variable", "output"):
        for name in blocks(parsed(TERRAFORM / f"{kind}s.tf"), kind):
            assert re.search(rf"^\| `{name}` \|", readme, re.M), f"{kind} {name}"


def test_state_is_remote_in_gcs_with_one_bucket_per_environment() -> None:
    [terraform] = parsed(TERRAFORM / "backend.tf")["terraform"]
    assert "gcs" in terraform["backend"][0]
    declared = set(blocks(parsed(TERRAFORM / "variables.tf"), "variable"))
    assert {"dev", "staging", "prod"} <= set(ENVIRONMENTS)
    backends = sorted(
        p.name.removesuffix(".gcs.tfbackend") for p in (TERRAFORM / "envs").glob("*.gcs.tfbackend")
    )
    assert backends == ENVIRONMENTS, "each environment has its variables and its state backend"
    buckets = set()
    for env in ENVIRONMENTS:
        backend = (TERRAFORM / "envs" / f"{env}.gcs.tfbackend").read_text()
        [bucket] = re.findall(r'^bucket\s*=\s*"([^"]+)"', backend, re.M)
        buckets.add(bucket)
        values = parsed(TERRAFORM / "envs" / f"{env}.tfvars")
        assert set(values) <= declared, f"{env}.tfvars sets undeclared {set(values) - declared}"
        assert "project_id" in values and "region" in values
    assert len(buckets) == len(ENVIRONMENTS)


# --- messaging ------------------------------------------------------------------------


def test_every_subscription_dead_letters_retries_with_backoff_and_never_expires() -> None:
    subscriptions = of_kind("google_pubsub_subscription")
    assert subscriptions
    for _, name, sub in subscriptions:
        assert sub["expiration_policy"][0]["ttl"] == "", name
        if name == "dead_letter":
            # The keeper of a dead-letter topic: pulled by `herald replay`, nothing to retry.
            assert "google_pubsub_topic.dead_letter" in sub["topic"]
            assert "push_config" not in sub
            continue
        assert sub["dead_letter_policy"][0]["dead_letter_topic"], name
        assert sub["dead_letter_policy"][0]["max_delivery_attempts"], name
        assert sub["retry_policy"][0]["minimum_backoff"], name
        assert sub["push_config"][0]["oidc_token"][0]["service_account_email"], name


def test_each_push_identity_may_invoke_only_its_own_consumer() -> None:
    [(_, _, invoker)] = [
        s for s in of_kind("google_cloud_run_v2_service_iam_member") if s[1] == "push_invoker"
    ]
    assert invoker["member"] == "serviceAccount:${google_service_account.push[each.key].email}"
    assert invoker["name"] == "${var.consumers[each.value.consumer].service}"


def test_the_pubsub_agent_may_dead_letter() -> None:
    grants = {
        name: body
        for _, name, body in of_kind("google_pubsub_topic_iam_member")
        + of_kind("google_pubsub_subscription_iam_member")
    }
    assert grants["dead_letter_publisher"]["role"] == "roles/pubsub.publisher"
    assert grants["dead_letter_subscriber"]["role"] == "roles/pubsub.subscriber"
    for name in ("dead_letter_publisher", "dead_letter_subscriber"):
        assert grants[name]["member"] == "${local.pubsub_agent}"


def test_consumers_are_pushed_to_not_triggered_through_eventarc_pubsub() -> None:
    assert not of_kind("google_eventarc_trigger")
    assert "pubsub_topic" not in text(the_functions().get("dynamic", []))


# --- functions ------------------------------------------------------------------------


def test_no_event_triggered_function_is_publicly_invokable() -> None:
    public = [
        (module.name, kind, name, body)
        for module, kind, name, body in all_resources()
        if set(re.findall(r"all(?:Authenticated)?Users", text(body.get("member", ""))))
        or set(text(body.get("members", ""))) & PUBLIC_MEMBERS
    ]
    assert [(m, k, n) for m, k, n, _ in public] == [
        ("functions", "google_cloud_run_v2_service_iam_member", "public")
    ]
    assert public[0][3]["for_each"] == "${local.public}"
    locals_ = parsed(FUNCTIONS_MODULE / "main.tf")["locals"][0]
    assert 'if function.trigger == "http"' in locals_["public"]
    service = the_functions()["service_config"][0]
    assert service["ingress_settings"] == (
        '${each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"}'
    )


def test_every_function_runs_as_its_own_service_account() -> None:
    function = the_functions()
    accounts = {name: body for _, name, body in of_kind("google_service_account")}
    assert function["service_config"][0]["service_account_email"] == (
        "${google_service_account.function[each.key].email}"
    )
    assert accounts["function"]["for_each"] == function["for_each"] == "${var.functions}"
    assert accounts["function"]["account_id"] == "herald-${each.key}"


def test_no_primitive_role_is_granted_anywhere() -> None:
    granted: set[str] = set()
    for module in ALL_MODULES:
        for kind, _, body in resources(module):
            if "iam" in kind:
                granted |= set(re.findall(r"roles/[A-Za-z.]+", text(body.get("role", ""))))
        for block in parsed(module / "main.tf").get("locals", []):
            granted |= set(re.findall(r"roles/[A-Za-z.]+", text(block)))
        for _, _, body in resources(module):
            granted |= set(re.findall(r"roles/[A-Za-z.]+", text(body.get("for_each", ""))))
    assert "roles/datastore.user" in granted and "roles/run.invoker" in granted
    assert not granted & PRIMITIVE_ROLES


def test_no_credential_is_a_plain_environment_variable() -> None:
    service = the_functions()["service_config"][0]
    environment = service["environment_variables"]
    for name in PROVIDER_SECRETS:
        assert name not in environment
    # Credentials are files of mounted secrets, read through NAME_FILE.
    assert '"${credential}_FILE" => "${mount.directory}/value"' in environment
    [volumes] = [d["secret_volumes"] for d in service["dynamic"] if "secret_volumes" in d]
    assert volumes["content"][0]["versions"][0]["version"] == "latest"
    assert "secret_environment_variables" not in service
    assert not of_kind("google_secret_manager_secret_version")  # values never enter the state


def test_the_relay_fires_on_outbox_creates_in_the_database_region_and_retries() -> None:
    [trigger] = [d["event_trigger"] for d in the_functions()["dynamic"] if "event_trigger" in d]
    content = trigger["content"][0]
    assert content["retry_policy"] == "RETRY_POLICY_RETRY"
    assert content["trigger_region"] == "${var.firestore.trigger_region}"
    assert content["event_type"] == "${var.outbox.event_type}"
    assert {f["attribute"] for f in content["event_filters"]} == {"database", "document"}
    root = blocks(parsed(TERRAFORM / "main.tf"), "module")["functions"]
    assert root["firestore"]["trigger_region"] == "${module.firestore.trigger_region}"


@pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")
@pytest.mark.parametrize(
    ("location", "region"),
    [("nam5", "us-central1"), ("eur3", "europe-west4"), ("europe-west1", "europe-west1")],
)
def test_a_multi_region_database_triggers_from_its_mapped_region(
    location: str, region: str, tmp_path: Path
) -> None:
    module = TERRAFORM / "modules" / "firestore"
    variables = {
        "project_id": "herald-test",
        "location": location,
        "indexes": {
            "composite_indexes": [],
            "ttl_fields": [],
            "collection_group_fields": [],
            "unindexed_fields": [],
        },
    }
    expression = f'lookup(local.trigger_regions, "{location}", "{location}")'
    assert evaluate(module, expression, variables, tmp_path) == region
    output = blocks(parsed(module / "outputs.tf"), "output")["trigger_region"]["value"]
    assert output == "${lookup(local.trigger_regions, var.location, var.location)}"


def test_archives_are_uploaded_under_their_content_hash_and_checked() -> None:
    [(_, _, archive)] = of_kind("google_storage_bucket_object")
    assert archive["name"] == "${each.value.file}"
    [precondition] = archive["lifecycle"][0]["precondition"]
    assert "filesha256" in precondition["condition"]
    function = the_functions()
    assert function["build_config"][0]["source"][0]["storage_source"][0]["object"] == (
        "${var.sources.objects[each.key]}"
    )


def test_the_sweep_is_called_on_a_schedule_with_oidc() -> None:
    [(_, _, job)] = of_kind("google_cloud_scheduler_job")
    target = job["http_target"][0]
    assert target["oidc_token"][0]["audience"] == "${each.value.url}"
    root = blocks(parsed(TERRAFORM / "main.tf"), "module")["scheduler"]
    assert "local.by_trigger.schedule" in text(root["targets"])


@pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")
def test_terraform_fmt_is_clean() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", str(TERRAFORM)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
