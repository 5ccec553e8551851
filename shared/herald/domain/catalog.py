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
}

DEFAULT_PROVIDERS = ("smtp", "webhook")
