"""Code and Terraform agree: what Terraform derives from the generated table is
what the registry and the topology in code say, evaluated by terraform itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from herald.config import SETTINGS_MODELS, Settings, env_names, is_secret
from herald.events.registry import EVENTS
from herald.topology import (
    CALLBACK_SECRETS,
    FUNCTIONS,
    LINK_SECRETS,
    PROVIDER_SECRETS,
    USER_TOKEN_SECRETS,
    Trigger,
)
from tests.unit.tfeval import HAS_TERRAFORM, TERRAFORM, evaluate, plan_errors, registry

pytestmark = pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")

SHARED = Path(__file__).resolve().parents[2] / "shared" / "herald"
FUNCTIONS_MODULE = TERRAFORM / "modules" / "functions"
MESSAGING_MODULE = TERRAFORM / "modules" / "messaging"
PUBSUB_AGENT = "serviceAccount:service-123@gcp-sa-pubsub.iam.gserviceaccount.com"


def functions_inputs(**overrides: Any) -> dict[str, Any]:
    return {
        "project_id": "herald-test",
        "pubsub_agent": PUBSUB_AGENT,
        "region": "europe-west1",
        "functions": registry()["functions"],
        "sources": {"bucket": "sources", "objects": {}},
        "outbox": registry()["outbox"],
        "firestore": {"database": "(default)", "location": "eur3"},
        "enabled_providers": ["smtp", "webhook"],
        **overrides,
    }


def test_the_root_sorts_every_function_of_the_code_by_its_trigger(tmp_path: Path) -> None:
    by_trigger = evaluate(TERRAFORM, "local.by_trigger", {"project_id": "herald-test"}, tmp_path)
    assert by_trigger == {
        trigger.value: sorted(f.name for f in FUNCTIONS if f.trigger is trigger)
        for trigger in Trigger
    }


def test_the_root_makes_a_secret_of_every_credential_a_function_reads(tmp_path: Path) -> None:
    credentials = evaluate(TERRAFORM, "local.credentials", {"project_id": "herald-test"}, tmp_path)
    assert sorted(credentials) == sorted({s for f in FUNCTIONS for s in f.secrets})
    assert set(credentials) == set(PROVIDER_SECRETS) | set(LINK_SECRETS) | set(
        CALLBACK_SECRETS
    ) | set(USER_TOKEN_SECRETS)


def test_fcm_sends_as_the_function_that_reads_the_credentials(tmp_path: Path) -> None:
    variables = {"project_id": "herald-test", "enabled_providers": ["fcm"]}
    roles = evaluate(TERRAFORM, "local.fcm_roles", variables, tmp_path)
    assert roles == {"deliver": ["roles/firebasecloudmessaging.admin"]}


def test_the_api_may_read_cloud_monitoring_for_the_consoles_event_web(tmp_path: Path) -> None:
    variables = {"project_id": "herald-test", "enabled_providers": ["fcm"]}
    roles = evaluate(TERRAFORM, "local.extra_roles", variables, tmp_path)
    assert roles == {
        "api": ["roles/monitoring.viewer"],
        "deliver": ["roles/firebasecloudmessaging.admin"],
    }


def test_every_api_herald_calls_is_enabled_and_fcm_s_only_with_fcm(tmp_path: Path) -> None:
    default = evaluate(TERRAFORM, "local.apis", {"project_id": "herald-test"}, tmp_path / "a")
    # Project data and project IAM members go through Resource Manager.
    assert "cloudresourcemanager.googleapis.com" in default
    assert {"eventarc.googleapis.com", "pubsub.googleapis.com", "firestore.googleapis.com"} <= set(
        default
    )
    assert "fcm.googleapis.com" not in default
    # Firestore triggers are Google-sourced events: no Eventarc publishing API.
    assert "eventarcpublishing.googleapis.com" not in default
    variables = {"project_id": "herald-test", "enabled_providers": ["fcm", "webhook"]}
    with_fcm = evaluate(TERRAFORM, "local.apis", variables, tmp_path / "b")
    assert set(with_fcm) - set(default) == {"fcm.googleapis.com"}
    assert len(set(with_fcm)) == len(with_fcm)


def test_the_sweeps_threshold_follows_the_push_subscriptions_timings(tmp_path: Path) -> None:
    """Every function gets the subscriptions' ack deadline and longest backoff, from which
    Settings derives when a message counts as stuck; an environment may still set it."""
    variables = {
        "project_id": "herald-test",
        "retry": {"maximum_backoff": "300s", "ack_deadline_seconds": 30},
        "environment": {"HERALD_ATTEMPT_LEASE_S": "90"},
    }
    environment = evaluate(TERRAFORM, "local.environment", variables, tmp_path / "derived")
    assert Settings.from_env(environment).sweep_stuck_after_s == 90 + 30 + 300
    variables["environment"] = {"HERALD_SWEEP_STUCK_AFTER_S": "240"}
    environment = evaluate(TERRAFORM, "local.environment", variables, tmp_path / "set")
    assert Settings.from_env(environment).sweep_stuck_after_s == 240


def test_one_push_subscription_per_event_and_consumer_of_the_registry(tmp_path: Path) -> None:
    subscriptions = evaluate(
        MESSAGING_MODULE,
        "local.subscriptions",
        {
            "project_id": "herald-test",
            "pubsub_agent": PUBSUB_AGENT,
            "region": "europe-west1",
            "events": registry()["events"],
            "consumers": {},
            "retry": {
                "minimum_backoff": "10s",
                "maximum_backoff": "600s",
                "max_delivery_attempts": 100,
                "ack_deadline_seconds": 60,
            },
        },
        tmp_path,
    )
    expected = {
        spec.subscription(consumer): (
            spec.name,
            consumer,
            spec.topic,
            spec.dead_letter_topic(consumer),
        )
        for spec in EVENTS
        for consumer in spec.consumers
    }
    assert {
        name: (s["event"], s["consumer"], s["topic"], s["dead_letter_topic"])
        for name, s in subscriptions.items()
    } == expected
    consumers = {f.name for f in FUNCTIONS if f.trigger is Trigger.PUBSUB}
    assert {s["consumer"] for s in subscriptions.values()} <= consumers


def test_only_http_functions_are_public_and_only_the_relay_is_event_triggered(
    tmp_path: Path,
) -> None:
    derived = evaluate(
        FUNCTIONS_MODULE,
        "{ public = keys(local.public), event_triggered = keys(local.event_triggered) }",
        functions_inputs(),
        tmp_path,
    )
    assert derived["public"] == [f.name for f in FUNCTIONS if f.trigger is Trigger.HTTP]
    assert derived["event_triggered"] == [
        f.name for f in FUNCTIONS if f.trigger is Trigger.FIRESTORE
    ]


def test_the_api_and_relay_stay_warm_and_the_api_serves_many_requests_at_once(
    tmp_path: Path,
) -> None:
    settings = evaluate(FUNCTIONS_MODULE, "local.settings", functions_inputs(), tmp_path)
    assert set(settings) == {f.name for f in FUNCTIONS}
    assert settings["api"]["min_instances"] >= 1 and settings["api"]["concurrency"] > 1
    assert settings["relay"]["min_instances"] >= 1
    assert settings["sweep"]["max_instances"] == 1
    for name, setting in settings.items():
        assert setting["concurrency"] == 1 or float(setting["cpu"]) >= 1, name


def test_a_function_added_in_code_is_deployed_without_editing_terraform(tmp_path: Path) -> None:
    """A new consumer in the generated table gets its trigger's settings, privately."""
    notify = {
        "trigger": "pubsub",
        "description": "a consumer added later",
        "entry_point": "handle",
        "publishes": True,
        "secrets": [],
    }
    inputs = functions_inputs(functions=registry()["functions"] | {"notify": notify})
    derived = evaluate(
        FUNCTIONS_MODULE,
        "{ settings = local.settings, public = keys(local.public), roles = keys(local.function_roles) }",
        inputs,
        tmp_path,
    )
    assert derived["settings"]["notify"] == derived["settings"]["render"]
    assert "notify" not in derived["public"]
    assert "notify roles/datastore.user" in derived["roles"]


def test_scaling_overrides_only_what_they_name(tmp_path: Path) -> None:
    inputs = functions_inputs(scaling={"deliver": {"max_instances": 7}})
    settings = evaluate(FUNCTIONS_MODULE, "local.settings", inputs, tmp_path)
    assert settings["deliver"]["max_instances"] == 7
    assert settings["deliver"]["concurrency"] == settings["render"]["concurrency"]


def test_only_mounted_credentials_reach_only_the_function_that_reads_them(tmp_path: Path) -> None:
    inputs = functions_inputs(secrets={"SENDGRID_API_KEY": "herald-sendgrid-api-key"})
    credentials = evaluate(FUNCTIONS_MODULE, "local.credentials", inputs, tmp_path)
    assert credentials.pop("deliver") == {
        "SENDGRID_API_KEY": {
            "secret_id": "herald-sendgrid-api-key",
            "directory": "/etc/secrets/sendgrid-api-key",
        }
    }
    assert all(mounted == {} for mounted in credentials.values())


def test_a_credential_as_a_plain_environment_variable_is_refused(tmp_path: Path) -> None:
    errors = plan_errors(
        FUNCTIONS_MODULE, functions_inputs(environment={"SENDGRID_API_KEY": "SG.x"}), tmp_path
    )
    assert "never plain environment variables" in errors
    fine = functions_inputs(environment={"HERALD_SMTP_HOST": "smtp.example.com"})
    assert plan_errors(FUNCTIONS_MODULE, fine, tmp_path / "fine") == ""


def test_an_unknown_trigger_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    functions = registry()["functions"] | {
        "extra": {
            "trigger": "carrier-pigeon",
            "description": "x",
            "entry_point": "handle",
            "publishes": False,
            "secrets": [],
        }
    }
    errors = plan_errors(FUNCTIONS_MODULE, functions_inputs(functions=functions), tmp_path)
    assert "trigger must be http, firestore, pubsub or schedule" in errors


def test_every_credential_the_code_reads_is_declared_as_a_secret() -> None:
    """A new secret setting, or ``secret("NAME")`` in the code, must be a Secret Manager
    secret too."""
    read = {
        name
        for model in SETTINGS_MODELS
        for field in model.model_fields.values()
        if is_secret(field)
        for name in env_names(field)
    }
    for path in SHARED.rglob("*.py"):
        read |= set(re.findall(r'\bsecret\(\s*"([A-Z0-9_]+)"', path.read_text()))
    # Required through the same helper, but a sender number is no secret.
    not_secret = {"HERALD_TWILIO_FROM"}
    assert read - not_secret == set(PROVIDER_SECRETS) | set(LINK_SECRETS) | set(
        CALLBACK_SECRETS
    ) | set(USER_TOKEN_SECRETS)
