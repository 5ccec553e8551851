"""Builds the providers a deployment enables (``HERALD_PROVIDERS``) from the environment.

Credentials come from variables or, for secrets, from files (``NAME_FILE``):
Cloud Functions expose Secret Manager secrets as either, so no secret is ever
stored in Firestore or written to a log. A provider's module is imported only
when it is enabled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from herald.config import Settings, secret
from herald.providers.base import Provider
from herald.providers.catalog import DEFAULT_PROVIDERS, PROVIDER_CHANNELS


def enabled(env: Mapping[str, str]) -> list[str]:
    names = [n.strip() for n in env.get("HERALD_PROVIDERS", ",".join(DEFAULT_PROVIDERS)).split(",")]
    unknown = [n for n in names if n and n not in PROVIDER_CHANNELS]
    if unknown:
        raise ValueError(
            f"HERALD_PROVIDERS names unknown providers {unknown}; known: {sorted(PROVIDER_CHANNELS)}"
        )
    return [n for n in names if n]


def _required(env: Mapping[str, str], name: str) -> str:
    value = secret(name, env)
    if not value:
        raise ValueError(f"{name} (or {name}_FILE) must be set for the enabled provider")
    return value


def _smtp(settings: Settings, env: Mapping[str, str]) -> Provider:
    from herald.providers.smtp import SmtpProvider

    return SmtpProvider(settings.smtp)


def _sendgrid(settings: Settings, env: Mapping[str, str]) -> Provider:
    from herald.providers.sendgrid import SendGridProvider

    return SendGridProvider(
        api_key=_required(env, "SENDGRID_API_KEY"),
        sender=env.get("HERALD_SENDGRID_FROM", settings.smtp.sender),
        base_url=env.get("HERALD_SENDGRID_BASE_URL", "https://api.sendgrid.com"),
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
    )


def _twilio(settings: Settings, env: Mapping[str, str]) -> Provider:
    from herald.providers.twilio import TwilioProvider

    return TwilioProvider(
        account_sid=_required(env, "TWILIO_ACCOUNT_SID"),
        auth_token=_required(env, "TWILIO_AUTH_TOKEN"),
        sender=_required(env, "HERALD_TWILIO_FROM"),
        base_url=env.get("HERALD_TWILIO_BASE_URL", "https://api.twilio.com"),
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
        public_url=env.get("HERALD_PUBLIC_URL") or None,
    )


def _fcm(settings: Settings, env: Mapping[str, str]) -> Provider:
    from herald.providers.fcm import FcmProvider, google_access_token

    static_token = secret("HERALD_FCM_ACCESS_TOKEN", env)
    token: Callable[[], str] = (lambda: static_token) if static_token else google_access_token()
    return FcmProvider(
        project_id=env.get("HERALD_FCM_PROJECT", settings.project),
        access_token=token,
        base_url=env.get("HERALD_FCM_BASE_URL", "https://fcm.googleapis.com"),
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
    )


def _slack(settings: Settings, env: Mapping[str, str]) -> Provider:
    from herald.providers.slack import SlackProvider

    hosts = env.get("HERALD_SLACK_ALLOWED_HOSTS", "hooks.slack.com")
    return SlackProvider(
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
        allowed_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()),
    )


def _webhook(settings: Settings, env: Mapping[str, str]) -> Provider:
    from herald.providers.webhook import WebhookProvider

    return WebhookProvider(
        settings.webhook_timeout_s,
        settings.webhook_allow_private,
        signing_secret=secret("HERALD_WEBHOOK_SIGNING_SECRET", env),
    )


_BUILDERS: dict[str, Callable[[Settings, Mapping[str, str]], Provider]] = {
    "smtp": _smtp,
    "sendgrid": _sendgrid,
    "twilio": _twilio,
    "fcm": _fcm,
    "slack": _slack,
    "webhook": _webhook,
}


def build_providers(settings: Settings, env: Mapping[str, str] | None = None) -> list[Provider]:
    source = os.environ if env is None else env
    return [_BUILDERS[name](settings, source) for name in enabled(source)]
