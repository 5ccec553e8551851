from pathlib import Path

import pytest

from herald.config import Settings
from herald.providers.factory import build_providers, enabled


def test_the_default_is_smtp_and_webhook() -> None:
    assert [p.name for p in build_providers(Settings.from_env(), {})] == ["smtp", "webhook"]


def test_enabled_providers_are_built_with_their_credentials_from_variables_or_files(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("secret-from-a-mounted-file\n")
    env = {
        "HERALD_PROVIDERS": "sendgrid, twilio,fcm,slack",
        "SENDGRID_API_KEY": "SG.key",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN_FILE": str(token_file),
        "HERALD_TWILIO_FROM": "+15005550006",
        "HERALD_FCM_ACCESS_TOKEN": "t",
    }
    providers = build_providers(Settings.from_env(), env)
    assert [(p.name, p.channel) for p in providers] == [
        ("sendgrid", "email"),
        ("twilio", "sms"),
        ("fcm", "push"),
        ("slack", "chat"),
    ]


def test_a_missing_credential_or_an_unknown_provider_is_named() -> None:
    with pytest.raises(ValueError, match="SENDGRID_API_KEY"):
        build_providers(Settings.from_env(), {"HERALD_PROVIDERS": "sendgrid"})
    with pytest.raises(ValueError, match="pigeon"):
        enabled({"HERALD_PROVIDERS": "smtp,pigeon"})


def test_twilio_gets_the_public_url_and_callback_secrets_come_from_variables_or_files(
    tmp_path: Path,
) -> None:
    from herald.config import CallbackSettings
    from herald.providers.twilio import TwilioProvider

    env = {
        "HERALD_PROVIDERS": "twilio",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "token",
        "HERALD_TWILIO_FROM": "+15005550006",
        "HERALD_PUBLIC_URL": "https://herald.example.com/",
    }
    [twilio] = build_providers(Settings.from_env(), env)
    assert isinstance(twilio, TwilioProvider) and twilio.public_url == "https://herald.example.com"

    key_file = tmp_path / "sendgrid-key"
    key_file.write_text("MFkw...\n")
    callbacks = CallbackSettings.from_env(
        {**env, "HERALD_SENDGRID_WEBHOOK_PUBLIC_KEY_FILE": str(key_file)}
    )
    assert callbacks == CallbackSettings(
        public_url="https://herald.example.com",
        sendgrid_public_key="MFkw...",
        twilio_auth_token="token",
        tolerance_s=600.0,
    )
    assert CallbackSettings.from_env({}).model_dump() == {
        "public_url": None,
        "sendgrid_public_key": None,
        "twilio_auth_token": None,
        "tolerance_s": 600.0,
    }
