"""The settings models: each variable's default, how values are read, secrets from files."""

from pathlib import Path

import pytest

from herald.config import (
    SETTINGS_MODELS,
    AmbiguousPolicy,
    CallbackSettings,
    ProviderAccounts,
    Settings,
    TelemetrySettings,
    env_names,
)


def test_every_default_is_the_documented_one() -> None:
    settings = Settings.from_env({})
    assert settings.project == "herald-local"
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "127.0.0.1",
        25,
        False,
    )
    assert (settings.smtp_username, settings.smtp_password, settings.smtp_ca_file) == (None,) * 3
    assert settings.smtp_timeout_s == 20 and settings.webhook_timeout_s == 10
    assert settings.email_from == "Herald <herald@localhost>"
    assert settings.ambiguous_policy is AmbiguousPolicy.ASSUME_SENT
    assert settings.channel_policies == {} and settings.rate_limits == {}
    assert settings.max_delivery_tries == 20
    assert (settings.retry_base_s, settings.retry_max_s) == (30, 3600)
    assert settings.message_timeout_s == 72 * 3600
    assert settings.channel_timeout_s is None and settings.provider_timeout_s is None
    assert settings.attempt_lease_s == 120 and settings.webhook_allow_private is False
    assert settings.sweep_unpublished_after_s == 120 and settings.sweep_batch == 200
    assert settings.sweep_stuck_after_s == 780
    assert (settings.public_url, settings.link_secret, settings.link_ttl_days) == (None, None, 60)
    assert settings.max_messages_per_request == 10_000 and settings.max_webhook_endpoints == 20
    assert CallbackSettings.from_env({}).tolerance_s == 600
    accounts = ProviderAccounts.from_env({})
    assert accounts.enabled == ("smtp", "webhook")
    assert accounts.slack_allowed_hosts == ("hooks.slack.com",)
    telemetry = TelemetrySettings.from_env({})
    assert telemetry.trace_dir == Path(".herald/traces") and telemetry.trace_sample_ratio == 1
    assert telemetry.metrics_export_interval_s == 60


def test_a_mapping_is_read_alone_never_merged_with_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_SWEEP_BATCH", "7")
    assert Settings.from_env({}).sweep_batch == 200
    assert Settings.from_env().sweep_batch == 7
    assert Settings().sweep_batch == 7  # pydantic-settings' own reading agrees


def test_values_are_parsed_from_their_variables() -> None:
    settings = Settings.from_env(
        {
            "GCP_PROJECT": "fallback-project",
            "HERALD_SMTP_PORT": "2525",
            "HERALD_AMBIGUOUS_POLICY": "fail",
            "HERALD_AMBIGUOUS_POLICY_WEBHOOK": "resend",
            "HERALD_RATE_LIMITS": "twilio=10, sendgrid=2.5",
            "HERALD_CHANNEL_TIMEOUT_S": "600",
            "HERALD_SMTP_USERNAME": "",  # empty is unset
        }
    )
    assert settings.project == "fallback-project"
    assert settings.smtp_port == 2525
    assert settings.ambiguous_policy is AmbiguousPolicy.FAIL
    assert settings.channel_policies == {"webhook": AmbiguousPolicy.RESEND}
    assert settings.rate_limits == {"twilio": 10.0, "sendgrid": 2.5}
    assert settings.channel_timeout_s == 600 and settings.smtp_username is None
    both = {"GOOGLE_CLOUD_PROJECT": "first", "GCP_PROJECT": "second"}
    assert Settings.from_env(both).project == "first"


@pytest.mark.parametrize(
    ("value", "read"), [("true", True), ("TRUE", True), ("1", False), ("yes", False)]
)
def test_a_flag_is_on_only_when_it_reads_true(value: str, read: bool) -> None:
    # deployment.py refuses HERALD_WEBHOOK_ALLOW_PRIVATE=true outside the local stack;
    # a value it lets through must not turn the setting on.
    assert Settings.from_env({"HERALD_WEBHOOK_ALLOW_PRIVATE": value}).webhook_allow_private is read


def test_a_secret_comes_from_its_variable_or_else_from_the_file_named_by_its_file_variable(
    tmp_path: Path,
) -> None:
    mounted = tmp_path / "link-secret"
    mounted.write_text("from-the-file\n")
    assert (
        Settings.from_env({"HERALD_LINK_SECRET_FILE": str(mounted)}).link_secret == "from-the-file"
    )
    both = {"HERALD_LINK_SECRET": "plain", "HERALD_LINK_SECRET_FILE": str(mounted)}
    assert Settings.from_env(both).link_secret == "plain"
    # A setting that is no secret takes no file.
    assert Settings.from_env({"HERALD_EMAIL_FROM_FILE": str(mounted)}).email_from.startswith(
        "Herald"
    )


def test_a_bad_value_is_refused_naming_its_variable() -> None:
    with pytest.raises(ValueError, match="HERALD_SMTP_PORT"):
        Settings.from_env({"HERALD_SMTP_PORT": "smtp"})
    with pytest.raises(ValueError, match="pigeon"):
        ProviderAccounts.from_env({"HERALD_PROVIDERS": "smtp,pigeon"})


def test_every_setting_names_its_variable_and_says_what_it_does() -> None:
    for model in SETTINGS_MODELS:
        for name, field in model.model_fields.items():
            assert env_names(field), f"{model.__name__}.{name}"
            assert field.description, f"{model.__name__}.{name}"


def test_each_channel_may_have_an_ambiguity_policy_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_AMBIGUOUS_POLICY_SMS", "fail")
    expected = {"sms": AmbiguousPolicy.FAIL}
    assert Settings.from_env().channel_policies == Settings().channel_policies == expected
    assert Settings.from_env({}).channel_policies == {}
