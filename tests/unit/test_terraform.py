"""Terraform that cannot be planned here is at least well-formed, complete and
safe: the checks a reviewer would make, over the parsed HCL of every module."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from herald.topology import FUNCTIONS, PROVIDER_SECRETS
from tests.unit.tfeval import (
    ALL_MODULES,
    ENV_ROOTS,
    HAS_TERRAFORM,
    ROOTS,
    TERRAFORM,
    all_resources,
    blocks,
    module_call,
    parsed,
    resources,
)

FUNCTIONS_MODULE = TERRAFORM / "modules" / "functions"
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
ENVIRONMENTS = [root.name for root in ENV_ROOTS]
# Google's and Google beta's provider majors Herald runs on.
GOOGLE_VERSIONS = ">= 6.0, < 9.0"


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


@pytest.mark.parametrize("module", [*ALL_MODULES, *ROOTS], ids=lambda p: p.name)
def test_provider_versions_are_bounded(module: Path) -> None:
    [terraform] = parsed(module / "versions.tf")["terraform"]
    providers = terraform["required_providers"][0]
    assert "google" in providers
    for name, provider in providers.items():
        assert ">=" in provider["version"] and "<" in provider["version"], name
        if name in ("google", "google-beta"):
            assert provider["version"] == GOOGLE_VERSIONS, name
    assert "<" in terraform["required_version"]


@pytest.mark.parametrize("module", [*ALL_MODULES, *ROOTS], ids=lambda p: p.name)
def test_each_module_requires_the_providers_its_resources_use(module: Path) -> None:
    [terraform] = parsed(module / "versions.tf")["terraform"]
    required = set(terraform["required_providers"][0])
    used = {kind.split("_")[0] for kind, _, _ in resources(module)}
    used |= {body["provider"] for _, _, body in resources(module) if "provider" in body}
    for path in module.glob("*.tf"):
        used |= {name for block in parsed(path).get("provider", []) for name in block}
    assert used <= required


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


def test_each_environment_is_a_root_with_its_state_in_a_bucket_of_its_own() -> None:
    assert {"dev", "staging", "prod"} <= set(ENVIRONMENTS)
    buckets = set()
    for root in ENV_ROOTS:
        for name in ("backend.tf", "main.tf", "outputs.tf", "versions.tf"):
            assert (root / name).exists(), f"{root.name}/{name}"
        [terraform] = parsed(root / "backend.tf")["terraform"]
        [backend] = terraform["backend"]
        assert backend["gcs"] == {"bucket": f"herald-tfstate-{root.name}", "prefix": "herald"}
        buckets.add(backend["gcs"]["bucket"])
    assert len(buckets) == len(ENV_ROOTS)


def test_the_reusable_module_has_no_backend_and_no_environment_files() -> None:
    for path in TERRAFORM.rglob("*.tf"):
        if ENV_ROOTS and path.is_relative_to(TERRAFORM / "envs"):
            continue
        for block in parsed(path).get("terraform", []):
            assert "backend" not in block, path
    assert not list(TERRAFORM.rglob("*.tfvars")) and not list(TERRAFORM.rglob("*.tfbackend"))


@pytest.mark.parametrize("root", ENV_ROOTS, ids=lambda p: p.name)
def test_an_environment_root_passes_its_settings_as_literals(root: Path) -> None:
    call = module_call(root)
    assert call.pop("source") == "../.."
    variables = blocks(parsed(TERRAFORM / "variables.tf"), "variable")
    assert set(call) <= set(variables), f"undeclared: {set(call) - set(variables)}"
    required = {name for name, variable in variables.items() if "default" not in variable}
    assert required <= set(call)
    # It passes literals, but for the real-time service's image, its one variable,
    # which the build sets to the image it pushed.
    assert call["realtime"] == {"image": "${var.realtime_image}"}, "the root deploys realtime"
    del call["realtime"]
    assert "${" not in text(call), "an environment root passes literals"
    [image] = blocks(parsed(root / "variables.tf"), "variable").values()
    assert list(blocks(parsed(root / "variables.tf"), "variable")) == ["realtime_image"]
    repository = f"us-central1-docker.pkg.dev/{call['project_id']}/herald/herald-realtime"
    assert image["default"] == f"{repository}:latest"
    # Its triggers plan and apply this very root, and its deploying account owns its state.
    [terraform] = parsed(root / "backend.tf")["terraform"]
    assert call["delivery"]["environment"] == root.name
    assert call["delivery"]["state_bucket"] == terraform["backend"][0]["gcs"]["bucket"]
    # Both providers configure the project the module deploys into.
    for block in parsed(root / "main.tf")["provider"]:
        for name, provider in block.items():
            assert provider["project"] == call["project_id"], name
            assert provider["region"] == call["region"], name


@pytest.mark.parametrize("root", ENV_ROOTS, ids=lambda p: p.name)
def test_an_environment_root_exports_what_the_smoke_test_reads(root: Path) -> None:
    build = (TERRAFORM.parent / "cloudbuild.yaml").read_text()
    read = set(re.findall(r"\$\$\(output (\w+)\)", build))
    assert {"project_id", "api_url"} <= read
    exported = blocks(parsed(root / "outputs.tf"), "output")
    assert read <= set(exported)
    for name, output in exported.items():
        assert output["value"] == f"${{module.herald.{name}}}", name


# --- a brand-new project -----------------------------------------------------------

SERVICES_MODULE = TERRAFORM / "modules" / "services"


def test_the_eventarc_and_pubsub_agents_are_created_granted_and_awaited() -> None:
    found = {(kind, name): body for kind, name, body in resources(SERVICES_MODULE)}
    identity = found["google_project_service_identity", "agent"]
    # The GA provider has no such resource, in 6.x as in 8.x.
    assert identity["provider"] == "google-beta"
    assert "eventarc.googleapis.com" in identity["for_each"]
    assert "pubsub.googleapis.com" in identity["for_each"]
    assert identity["depends_on"] == ["${google_project_service.api}"]
    grant = found["google_project_iam_member", "eventarc_agent"]
    assert grant["role"] == "roles/eventarc.serviceAgent"
    assert grant["member"] == (
        '${google_project_service_identity.agent["eventarc.googleapis.com"].member}'
    )
    sleep = found["time_sleep", "agents_ready"]
    assert sleep["create_duration"] == "${var.agent_propagation}"
    # The members are read through the sleep, so whatever names an agent waits for it.
    assert sleep["triggers"] == {
        "eventarc": "${google_project_iam_member.eventarc_agent.member}",
        "pubsub": '${google_project_service_identity.agent["pubsub.googleapis.com"].member}',
    }
    outputs = blocks(parsed(SERVICES_MODULE / "outputs.tf"), "output")
    assert outputs["pubsub_agent"]["value"] == '${time_sleep.agents_ready.triggers["pubsub"]}'


def test_everything_waits_for_the_apis_and_the_agents() -> None:
    modules = blocks(parsed(TERRAFORM / "main.tf"), "module")
    for name, module in modules.items():
        if name != "services":
            assert module["depends_on"] == ["${module.services}"], name
    for name in ("functions", "messaging"):
        assert modules[name]["pubsub_agent"] == "${module.services.pubsub_agent}", name
    assert [module.name for module, _, _ in of_kind("google_project_service")] == ["services"]


def test_no_service_agent_address_is_written_by_hand() -> None:
    for module in ALL_MODULES:
        for path in module.glob("*.tf"):
            assert "gcp-sa-" not in path.read_text(), path
    agent_grants = {
        "trigger_token_creator",
        "push_token_creator",
        "dead_letter_publisher",
        "dead_letter_subscriber",
    }
    members = {body["member"] for _, _, name, body in all_resources() if name in agent_grants}
    assert members == {"${var.pubsub_agent}"}


def test_the_apis_can_be_left_to_whoever_manages_the_project() -> None:
    variables = blocks(parsed(TERRAFORM / "variables.tf"), "variable")
    assert variables["enable_apis"]["type"] == "bool"
    assert variables["enable_apis"]["default"] is True
    services = blocks(parsed(TERRAFORM / "main.tf"), "module")["services"]
    assert services["enable_apis"] == "${var.enable_apis}"
    [(_, _, api)] = of_kind("google_project_service")
    assert api["for_each"] == "${var.enable_apis ? toset(var.apis) : toset([])}"
    assert api["disable_on_destroy"] is False


def _function_name_pattern() -> str:
    variables = (FUNCTIONS_MODULE / "variables.tf").read_text()
    [pattern] = re.findall(r'can\(regex\("([^"]+)", name\)\)', variables)
    return str(pattern)


def _names_allowed(pattern: str) -> list[str]:
    candidates = {
        shape
        for length in range(1, 40)
        for shape in ("a" * length, "a" * (length - 1) + "-", "a-" + "b" * (length - 2))
        if shape
    }
    return sorted((n for n in candidates if re.fullmatch(pattern, n)), key=len)


ACCOUNT_ID = re.compile(r"^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$")


def test_every_service_account_id_is_valid_for_every_function_name_allowed() -> None:
    allowed = _names_allowed(_function_name_pattern())
    assert "a" in allowed and len(allowed[-1]) >= 8  # today's longest name, webhooks
    templates = {
        (module.name, name): body["account_id"]
        for module, kind, name, body in all_resources()
        if kind == "google_service_account"
    }
    ids: dict[str, set[str]] = {}
    for where, template in templates.items():
        if template == '${substr("push-${md5(each.key)}", 0, 30)}':
            # One per subscription, named by its digest: fixed length whatever the name.
            ids[str(where)] = {("push-" + hashlib.md5(b"x").hexdigest())[:30]}
        elif "${" not in template.replace("${each.key}", ""):
            ids[str(where)] = {template.replace("${each.key}", name) for name in allowed}
        else:
            raise AssertionError(f"{where}: an account id this test cannot expand: {template}")
    assert len(ids) >= 6
    for resource, accounts in ids.items():
        for account in accounts:
            assert len(account) <= 30 and ACCOUNT_ID.match(account), f"{resource}: {account}"


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
        assert grants[name]["member"] == "${var.pubsub_agent}"


def test_only_a_redriving_function_may_read_the_dead_letters() -> None:
    grants = {name: body for _, name, body in of_kind("google_pubsub_subscription_iam_member")}
    reader = grants["dead_letter_reader"]
    assert reader["role"] == "roles/pubsub.subscriber"
    assert reader["member"] == "serviceAccount:${each.value.email}"
    assert reader["subscription"] == (
        "${google_pubsub_subscription.dead_letter[each.value.subscription].name}"
    )
    redriving = {f.name for f in FUNCTIONS if f.redrives}
    assert redriving == {"api"} and all(f.publishes for f in FUNCTIONS if f.redrives)


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
    # The API, and the inbox's socket (each checks its own keys or user tokens).
    assert [(m, k, n) for m, k, n, _ in public] == [
        ("functions", "google_cloud_run_v2_service_iam_member", "public"),
        ("realtime", "google_cloud_run_v2_service_iam_member", "public"),
    ]
    assert public[0][3]["for_each"] == "${local.public}"
    assert public[1][3]["name"] == "${google_cloud_run_v2_service.realtime.name}"
    locals_ = parsed(FUNCTIONS_MODULE / "main.tf")["locals"][0]
    assert 'if function.trigger == "http"' in locals_["public"]
    service = the_functions()["service_config"][0]
    assert service["ingress_settings"] == (
        '${each.value.trigger == "http" ? var.public_ingress : "ALLOW_INTERNAL_ONLY"}'
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


def test_each_function_serves_as_many_requests_at_once_as_its_concurrency() -> None:
    # functions-framework's gunicorn runs THREADS threads, else 4 a CPU: an api instance
    # taking 80 requests would run 4 and queue the rest.
    service = the_functions()["service_config"][0]
    assert service["max_instance_request_concurrency"] == "${local.settings[each.key].concurrency}"
    assert (
        "THREADS = tostring(local.settings[each.key].concurrency)"
        in service["environment_variables"]
    )


def test_the_relay_fires_on_outbox_creates_in_the_database_location_and_retries() -> None:
    [trigger] = [d["event_trigger"] for d in the_functions()["dynamic"] if "event_trigger" in d]
    content = trigger["content"][0]
    assert content["retry_policy"] == "RETRY_POLICY_RETRY"
    # nam5 for a nam5 database, never a region mapped from it.
    assert content["trigger_region"] == "${var.firestore.location}"
    assert content["event_type"] == "${var.outbox.event_type}"
    assert {f["attribute"] for f in content["event_filters"]} == {"database", "document"}
    root = blocks(parsed(TERRAFORM / "main.tf"), "module")["functions"]
    assert root["firestore"]["location"] == "${module.firestore.location}"
    firestore = TERRAFORM / "modules" / "firestore"
    location = blocks(parsed(firestore / "outputs.tf"), "output")["location"]
    assert location["value"] == "${google_firestore_database.this.location_id}"
    assert "trigger_region" not in (firestore / "main.tf").read_text()


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
