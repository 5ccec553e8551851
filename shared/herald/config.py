"""Settings, read from the environment once per instance."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from herald.domain.send import CHANNELS
from herald.providers.smtp import SmtpSettings
from herald.services.ratelimit import parse_limits


class AmbiguousPolicy(StrEnum):
    """What deliver does when a provider may or may not have taken a message."""

    ASSUME_SENT = "assume_sent"  # end SENT, reason OUTCOME_UNKNOWN (never a duplicate)
    FAIL = "fail"  # end UNDELIVERABLE, reason OUTCOME_UNKNOWN (never a duplicate)
    RESEND = "resend"  # try again (at least once: a duplicate is possible)


def secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """``NAME`` or the contents of the file named by ``NAME_FILE`` (mounted secrets)."""
    source = os.environ if env is None else env
    if value := source.get(name):
        return value
    if path := source.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return None


# One send's messages, its lists' subscribers included; larger audiences take several sends.
DEFAULT_MAX_MESSAGES_PER_REQUEST = 10_000
# Every message event is posted to each endpoint: their number multiplies every send.
DEFAULT_MAX_WEBHOOK_ENDPOINTS = 20
# A new endpoint gets the events relayed from at most this long after it is registered.
DEFAULT_WEBHOOK_ENDPOINTS_CACHE_S = 10.0
# A revoked API key stops working within this long.
DEFAULT_API_KEY_CACHE_S = 30.0


def stuck_after_s(
    attempt_lease_s: float, push_ack_deadline_s: float, push_max_backoff_s: float
) -> float:
    """When the sweeper takes a message in a transient state for stuck: once it has waited
    past anything the pipeline may still do for it by itself. A stage may hold the message
    for a delivery's lease; its push is retried only after the ack deadline has passed,
    then after at most the longest retry backoff. Re-driving earlier would be harmless
    (consumers dedupe) but for nothing."""
    return attempt_lease_s + push_ack_deadline_s + push_max_backoff_s


@dataclass(frozen=True)
class CallbackSettings:
    """What the api needs to check provider callbacks (deployment-wide, as the providers'
    own credentials are)."""

    # Herald's public base URL: Twilio's StatusCallback is built on it, and Twilio signs it.
    public_url: str | None = None
    sendgrid_public_key: str | None = None  # the Event Webhook's verification key
    twilio_auth_token: str | None = None
    tolerance_s: float = 600.0  # how old a SendGrid timestamp may be

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CallbackSettings:
        source = os.environ if env is None else env
        return cls(
            public_url=(source.get("HERALD_PUBLIC_URL") or "").rstrip("/") or None,
            sendgrid_public_key=secret("HERALD_SENDGRID_WEBHOOK_PUBLIC_KEY", source),
            twilio_auth_token=secret("TWILIO_AUTH_TOKEN", source),
            tolerance_s=float(source.get("HERALD_CALLBACK_TOLERANCE_S", "600")),
        )


@dataclass(frozen=True)
class Settings:
    project: str
    smtp: SmtpSettings
    ambiguous_policy: AmbiguousPolicy
    channel_policies: dict[str, AmbiguousPolicy]
    max_delivery_tries: int
    retry_base_s: float
    retry_max_s: float
    message_timeout_s: float
    channel_timeout_s: float | None
    rate_limits: dict[str, float]
    provider_timeout_s: float | None
    attempt_lease_s: float
    webhook_timeout_s: float
    webhook_allow_private: bool
    sweep_unpublished_after_s: float
    sweep_stuck_after_s: float
    sweep_batch: int
    # Email links (unsubscribe, preferences, tracking): where the api is reached from
    # outside, and the secret(s) that sign them; without both, email carries none.
    public_url: str | None = None
    link_secret: str | None = None
    link_ttl_days: float = 60.0
    # Amplification bounds: what one request, or one event, may cost a workspace.
    max_messages_per_request: int = DEFAULT_MAX_MESSAGES_PER_REQUEST
    max_webhook_endpoints: int = DEFAULT_MAX_WEBHOOK_ENDPOINTS
    # How long an instance keeps what it read: whether a workspace has webhook endpoints
    # (the relay), which workspace an API key opens (the api).
    webhook_endpoints_cache_s: float = DEFAULT_WEBHOOK_ENDPOINTS_CACHE_S
    api_key_cache_s: float = DEFAULT_API_KEY_CACHE_S

    @classmethod
    def from_env(cls, source: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if source is None else source
        return cls(
            project=env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCP_PROJECT") or "herald-local",
            smtp=SmtpSettings(
                host=env.get("HERALD_SMTP_HOST", "127.0.0.1"),
                port=int(env.get("HERALD_SMTP_PORT", "25")),
                sender=env.get("HERALD_EMAIL_FROM", "Herald <herald@localhost>"),
                starttls=env.get("HERALD_SMTP_STARTTLS", "false").lower() == "true",
                username=env.get("HERALD_SMTP_USERNAME") or None,
                password=secret("HERALD_SMTP_PASSWORD", env),
                timeout_s=float(env.get("HERALD_SMTP_TIMEOUT_S", "20")),
                ca_file=env.get("HERALD_SMTP_CA_FILE") or None,
            ),
            ambiguous_policy=AmbiguousPolicy(env.get("HERALD_AMBIGUOUS_POLICY", "assume_sent")),
            channel_policies={
                channel: AmbiguousPolicy(env[f"HERALD_AMBIGUOUS_POLICY_{channel.upper()}"])
                for channel in CHANNELS
                if env.get(f"HERALD_AMBIGUOUS_POLICY_{channel.upper()}")
            },
            max_delivery_tries=int(env.get("HERALD_MAX_DELIVERY_TRIES", "20")),
            retry_base_s=float(env.get("HERALD_RETRY_BASE_S", "30")),
            retry_max_s=float(env.get("HERALD_RETRY_MAX_S", "3600")),
            # Courier's default: a message that cannot be delivered in 72 hours is undeliverable.
            message_timeout_s=float(env.get("HERALD_MESSAGE_TIMEOUT_S", str(72 * 3600))),
            rate_limits=parse_limits(env.get("HERALD_RATE_LIMITS", "")),
            channel_timeout_s=float(env["HERALD_CHANNEL_TIMEOUT_S"])
            if env.get("HERALD_CHANNEL_TIMEOUT_S")
            else None,
            provider_timeout_s=float(env["HERALD_PROVIDER_TIMEOUT_S"])
            if env.get("HERALD_PROVIDER_TIMEOUT_S")
            else None,
            # Longer than any one provider call can take (see the timeouts).
            attempt_lease_s=float(env.get("HERALD_ATTEMPT_LEASE_S", "120")),
            webhook_timeout_s=float(env.get("HERALD_WEBHOOK_TIMEOUT_S", "10")),
            webhook_allow_private=env.get("HERALD_WEBHOOK_ALLOW_PRIVATE", "false").lower()
            == "true",
            sweep_unpublished_after_s=float(env.get("HERALD_SWEEP_UNPUBLISHED_AFTER_S", "120")),
            sweep_stuck_after_s=float(env["HERALD_SWEEP_STUCK_AFTER_S"])
            if env.get("HERALD_SWEEP_STUCK_AFTER_S")
            else stuck_after_s(
                attempt_lease_s=float(env.get("HERALD_ATTEMPT_LEASE_S", "120")),
                push_ack_deadline_s=float(env.get("HERALD_PUSH_ACK_DEADLINE_S", "60")),
                push_max_backoff_s=float(env.get("HERALD_PUSH_MAX_BACKOFF_S", "600")),
            ),
            sweep_batch=int(env.get("HERALD_SWEEP_BATCH", "200")),
            public_url=env.get("HERALD_PUBLIC_URL") or None,
            link_secret=secret("HERALD_LINK_SECRET", env),
            link_ttl_days=float(env.get("HERALD_LINK_TTL_DAYS", "60")),
            max_messages_per_request=int(
                env.get("HERALD_MAX_MESSAGES_PER_REQUEST", DEFAULT_MAX_MESSAGES_PER_REQUEST)
            ),
            max_webhook_endpoints=int(
                env.get("HERALD_MAX_WEBHOOK_ENDPOINTS", DEFAULT_MAX_WEBHOOK_ENDPOINTS)
            ),
            webhook_endpoints_cache_s=float(
                env.get("HERALD_WEBHOOK_ENDPOINTS_CACHE_S", DEFAULT_WEBHOOK_ENDPOINTS_CACHE_S)
            ),
            api_key_cache_s=float(env.get("HERALD_API_KEY_CACHE_S", DEFAULT_API_KEY_CACHE_S)),
        )
