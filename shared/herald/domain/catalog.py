"""Every provider Herald has, and the channel it serves.

Which of them run is chosen at deployment (``HERALD_PROVIDERS``), and which of
those serve a workspace, in what failover order, by the workspace's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PROVIDER_CHANNELS: dict[str, str] = {
    "smtp": "email",
    "sendgrid": "email",
    "twilio": "sms",
    "fcm": "push",
    "slack": "chat",
    "msteams": "chat",
    "webhook": "webhook",
    # Herald's own: it stores the message in the user's inbox, always enabled.
    "inbox": "inbox",
}

# Courier's name for each of Herald's channels a profile or a provider may name.
COURIER_CHANNEL = {
    "email": "email",
    "sms": "sms",
    "push": "push",
    "chat": "direct_message",
    "webhook": "webhook",
}

# The recipient's address each chat provider reaches: a channel with providers for
# different addresses tries only those the recipient has an address for.
PROVIDER_ADDRESSES: dict[str, str] = {"slack": "slack", "msteams": "ms_teams"}

# Providers Herald runs itself, with no account: never listed in ``HERALD_PROVIDERS``.
BUILT_IN_PROVIDERS = ("inbox",)

DEFAULT_PROVIDERS = ("smtp", "webhook")


@dataclass(frozen=True)
class SettingField:
    """One setting a workspace's configuration of a provider may give (Courier's catalog)."""

    type: Literal["string", "boolean", "enum"]
    required: bool = False
    # Written, never answered back: the API answers it redacted.
    secret: bool = False
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    description: str
    settings: dict[str, SettingField] = field(default_factory=dict)


_STRING, _SECRET = SettingField("string"), SettingField("string", secret=True)

# What ``/providers/catalog`` lists: each provider of ``PROVIDER_CHANNELS``, with the
# settings Courier's configuration of it takes. The deployment's credentials
# (``HERALD_SENDGRID_API_KEY``, ...) are what Herald sends with, so none is required.
PROVIDER_CATALOG: dict[str, CatalogEntry] = {
    "smtp": CatalogEntry(
        "SMTP",
        "Email through an SMTP server.",
        {
            "host": _STRING,
            "port": _STRING,
            "username": _STRING,
            "password": _SECRET,
            "from_address": _STRING,
        },
    ),
    "sendgrid": CatalogEntry(
        "SendGrid",
        "Email through SendGrid's v3 Mail Send API.",
        {"api_key": _SECRET, "from_address": _STRING},
    ),
    "twilio": CatalogEntry(
        "Twilio",
        "SMS through Twilio's Messages API.",
        {
            "account_sid": _STRING,
            "auth_token": _SECRET,
            "from_number": _STRING,
            "messaging_service_sid": _STRING,
        },
    ),
    "fcm": CatalogEntry(
        "Firebase Cloud Messaging",
        "Push notifications through FCM's HTTP v1 API.",
        {"service_account": _SECRET},
    ),
    "slack": CatalogEntry(
        "Slack",
        "Chat messages through Slack incoming webhooks or the Web API's chat.postMessage.",
    ),
    "msteams": CatalogEntry(
        "Microsoft Teams",
        "Chat messages posted by the deployment's bot through the Bot Framework Connector API.",
        {"app_id": _STRING, "app_password": _SECRET},
    ),
    "webhook": CatalogEntry("Webhook", "An HTTP request to the recipient's webhook URL."),
    "inbox": CatalogEntry("Inbox", "The user's in-app inbox, kept by Herald."),
}
