"""Every provider Herald has, and the channel it serves.

Which of them run is chosen at deployment (``HERALD_PROVIDERS``), and which of
those serve a workspace, in what failover order, by the workspace's settings.
"""

from __future__ import annotations

PROVIDER_CHANNELS: dict[str, str] = {
    "smtp": "email",
    "sendgrid": "email",
    "twilio": "sms",
    "fcm": "push",
    "slack": "chat",
    "webhook": "webhook",
    # Herald's own: it stores the message in the user's inbox, always enabled.
    "inbox": "inbox",
}

# Providers Herald runs itself, with no account: never listed in ``HERALD_PROVIDERS``.
BUILT_IN_PROVIDERS = ("inbox",)

DEFAULT_PROVIDERS = ("smtp", "webhook")
