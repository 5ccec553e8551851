"""Builds the providers a deployment enables (``HERALD_PROVIDERS``) from the environment.

Credentials come from variables or, for secrets, from files (``NAME_FILE``):
Cloud Functions expose Secret Manager secrets as either, so no secret is ever
stored in Firestore or written to a log. A provider's module is imported only
when it is enabled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from herald.config import ProviderAccounts, Settings, env_names
from herald.providers.base import Provider


def enabled(env: Mapping[str, str]) -> list[str]:
    return list(ProviderAccounts.from_env(env).enabled)


def _required(accounts: ProviderAccounts, field: str) -> str:
    value = getattr(accounts, field)
    if not value:
        [name] = env_names(ProviderAccounts.model_fields[field])
        raise ValueError(f"{name} (or {name}_FILE) must be set for the enabled provider")
    return str(value)


def _smtp(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.smtp import SmtpProvider, SmtpSettings

    return SmtpProvider(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.email_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_s=settings.smtp_timeout_s,
            ca_file=settings.smtp_ca_file,
        )
    )


def _sendgrid(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.sendgrid import SendGridProvider

    return SendGridProvider(
        api_key=_required(accounts, "sendgrid_api_key"),
        sender=accounts.sendgrid_from or settings.email_from,
        base_url=accounts.sendgrid_base_url,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
    )


def _twilio(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.twilio import TwilioProvider

    return TwilioProvider(
        account_sid=_required(accounts, "twilio_account_sid"),
        auth_token=_required(accounts, "twilio_auth_token"),
        sender=_required(accounts, "twilio_from"),
        base_url=accounts.twilio_base_url,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
        public_url=accounts.public_url,
    )


def _fcm(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.fcm import SCOPE, FcmProvider
    from herald.providers.google_token import google_access_token

    static_token = accounts.fcm_access_token
    token: Callable[[], str] = (
        (lambda: static_token) if static_token else google_access_token(SCOPE)
    )
    return FcmProvider(
        project_id=accounts.fcm_project or settings.project,
        access_token=token,
        base_url=accounts.fcm_base_url,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
    )


def _slack(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.slack import SlackProvider

    return SlackProvider(
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
        allowed_hosts=accounts.slack_allowed_hosts,
        api_base_url=accounts.slack_api_base_url,
    )


def _msteams(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.msteams import MsTeamsProvider

    return MsTeamsProvider(
        app_id=_required(accounts, "msteams_app_id"),
        app_password=_required(accounts, "msteams_app_password"),
        token_url=accounts.msteams_token_url,
        service_url=accounts.msteams_service_url,
        service_hosts=accounts.msteams_service_hosts,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
    )


def _webhook(settings: Settings, accounts: ProviderAccounts) -> Provider:
    from herald.providers.webhook import WebhookProvider

    return WebhookProvider(
        settings.webhook_timeout_s,
        settings.webhook_allow_private,
        signing_secret=accounts.webhook_signing_secret,
    )


_BUILDERS: dict[str, Callable[[Settings, ProviderAccounts], Provider]] = {
    "smtp": _smtp,
    "sendgrid": _sendgrid,
    "twilio": _twilio,
    "fcm": _fcm,
    "slack": _slack,
    "msteams": _msteams,
    "webhook": _webhook,
}


def build_providers(settings: Settings, env: Mapping[str, str] | None = None) -> list[Provider]:
    accounts = ProviderAccounts.from_env(env)
    return [_BUILDERS[name](settings, accounts) for name in accounts.enabled]
