"""Settings, read from the environment once per instance.

Each variable is declared once, here: its name, its default and what it does.
The configuration page of the documentation is generated from these models
(``./herald generate``), so the two cannot drift apart.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

from pydantic import AliasChoices, BeforeValidator, Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from herald.domain.catalog import BUILT_IN_PROVIDERS, DEFAULT_PROVIDERS, PROVIDER_CHANNELS
from herald.domain.send import CHANNELS


class AmbiguousPolicy(StrEnum):
    """What deliver does when a provider may or may not have taken a message."""

    ASSUME_SENT = "assume_sent"  # end SENT, reason OUTCOME_UNKNOWN (never a duplicate)
    FAIL = "fail"  # end UNDELIVERABLE, reason OUTCOME_UNKNOWN (never a duplicate)
    RESEND = "resend"  # try again (at least once: a duplicate is possible)


def parse_limits(spec: str) -> dict[str, float]:
    """``"twilio=10,sendgrid=100"`` -> calls per second by provider."""
    limits = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, rate = item.partition("=")
        if not rate or float(rate) <= 0:
            raise ValueError(f"HERALD_RATE_LIMITS: {item!r} is not provider=calls_per_second")
        limits[name.strip()] = float(rate)
    return limits


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
# A workspace's quota on authenticated POSTs: its sustained rate (per second) and burst.
DEFAULT_QUOTA_RATE = 50.0
DEFAULT_QUOTA_BURST = 500
MAX_QUOTA_RATE = 100_000.0
MAX_QUOTA_BURST = 1_000_000
CHANNEL_POLICY_PREFIX = "HERALD_AMBIGUOUS_POLICY_"
# Cloud Monitoring takes a point per series every 5 s at most
# (cloud.google.com/monitoring/quotas): metrics are exported no more often.
MIN_EXPORT_INTERVAL_S = 5.0


def stuck_after_s(
    attempt_lease_s: float, push_ack_deadline_s: float, push_max_backoff_s: float
) -> float:
    """When the sweeper takes a message in a transient state for stuck: once it has waited
    past anything the pipeline may still do for it by itself. A stage may hold the message
    for a delivery's lease; its push is retried only after the ack deadline has passed,
    then after at most the longest retry backoff. Re-driving earlier would be harmless
    (consumers dedupe) but for nothing."""
    return attempt_lease_s + push_ack_deadline_s + push_max_backoff_s


def setting(
    default: Any,
    env: str | AliasChoices,
    description: str,
    *,
    is_secret: bool = False,
    shown_default: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A field read from ``env``. ``is_secret``: may also come from the file ``<env>_FILE``
    (how Cloud Functions mount Secret Manager secrets). ``shown_default``: the default as
    the documentation states it, when it is worked out rather than a constant. ``gt``,
    ``ge``, ``le``: its bounds, checked at start-up."""
    extra: dict[str, Any] = {}
    if is_secret:
        extra["secret"] = True
    if shown_default is not None:
        extra["shown_default"] = shown_default
    return Field(
        default,
        validation_alias=env,
        description=description,
        json_schema_extra=extra,
        gt=gt,
        ge=ge,
        le=le,
    )


def env_names(field: FieldInfo) -> list[str]:
    """The variables a field is read from, first the one that wins."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    extra = field.json_schema_extra
    return [str(extra["env"])] if isinstance(extra, dict) and "env" in extra else []


def is_secret(field: FieldInfo) -> bool:
    """May come from the file ``<variable>_FILE`` too; a Secret Manager secret in the cloud."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("secret"))


def _true_only(value: Any) -> Any:
    # Exactly "true", in any case: "1" or "yes" must not turn on what deployment.py
    # refuses outside the local stack only when it reads "true".
    return value.lower() == "true" if isinstance(value, str) else value


Flag = Annotated[bool, BeforeValidator(_true_only)]


class _Environment(EnvSettingsSource):
    """The environment (or a given mapping), with each secret's ``NAME_FILE`` read."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str] | None) -> None:
        self._env = os.environ if env is None else env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        loaded: dict[str, str | None] = dict(
            parse_env_vars(
                self._env, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
            )
        )
        for field in self.settings_cls.model_fields.values():
            if is_secret(field):
                for name in env_names(field):
                    if (value := secret(name, self._env)) is not None:
                        loaded[name] = value
        return loaded

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        # One variable per channel, HERALD_AMBIGUOUS_POLICY_<CHANNEL>, make one field.
        if "channel_policies" in self.settings_cls.model_fields:
            values["channel_policies"] = {
                channel: self._env[name]
                for channel in CHANNELS
                if self._env.get(name := f"{CHANNEL_POLICY_PREFIX}{channel.upper()}")
            }
        return values


# What from_env reads instead of the process environment, for the model being built.
_reading: ContextVar[Mapping[str, str] | None] = ContextVar("_reading", default=None)


class _FromEnvironment(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, env_ignore_empty=True, populate_by_name=True
    )
    # The section of the configuration page these settings make.
    section: ClassVar[str] = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls, _reading.get())

    @classmethod
    def from_env(cls, mapping: Mapping[str, str] | None = None, **values: Any) -> Self:
        """Read from ``mapping`` alone, or from the process environment when it is None;
        ``values`` (by field name) win over both."""
        token = _reading.set(mapping)
        try:
            return cls(**values)
        finally:
            _reading.reset(token)


# Read by more than one function's settings: declared once, shared.
_PUBLIC_URL: Any = setting(
    None,
    "HERALD_PUBLIC_URL",
    "Herald's public base URL (the api's): email links (unsubscribe, preferences, tracking) "
    "and Twilio status callbacks point there, and Twilio's signatures are checked on it "
    "(without it, on the `Host` reached); Terraform sets it",
)
_TWILIO_AUTH_TOKEN: Any = setting(
    None,
    "TWILIO_AUTH_TOKEN",
    "Twilio's auth token: sends SMS and checks Twilio's callback signatures",
    is_secret=True,
)


class CallbackSettings(_FromEnvironment):
    """What the api needs to check provider callbacks (deployment-wide, as the providers'
    own credentials are)."""

    section: ClassVar[str] = "Provider callbacks"

    public_url: str | None = _PUBLIC_URL
    sendgrid_public_key: str | None = setting(
        None,
        "HERALD_SENDGRID_WEBHOOK_PUBLIC_KEY",
        "the Signed Event Webhook's verification key (base64 DER, or PEM)",
        is_secret=True,
    )
    twilio_auth_token: str | None = _TWILIO_AUTH_TOKEN
    tolerance_s: float = setting(
        600.0, "HERALD_CALLBACK_TOLERANCE_S", "how old a SendGrid callback's timestamp may be"
    )

    @field_validator("public_url")
    @classmethod
    def _without_trailing_slash(cls, url: str | None) -> str | None:
        return url.rstrip("/") or None if url else None


class Settings(_FromEnvironment):
    """The pipeline's settings."""

    section: ClassVar[str] = "Pipeline"

    project: str = setting(
        "herald-local",
        AliasChoices("GOOGLE_CLOUD_PROJECT", "GCP_PROJECT"),
        "project of Firestore and Pub/Sub",
    )
    smtp_host: str = setting("127.0.0.1", "HERALD_SMTP_HOST", "SMTP server")
    smtp_port: int = setting(25, "HERALD_SMTP_PORT", "SMTP server's port")
    smtp_starttls: Flag = setting(False, "HERALD_SMTP_STARTTLS", "upgrade with STARTTLS")
    smtp_username: str | None = setting(None, "HERALD_SMTP_USERNAME", "SMTP AUTH user")
    smtp_password: str | None = setting(
        None, "HERALD_SMTP_PASSWORD", "SMTP AUTH password", is_secret=True
    )
    smtp_timeout_s: float = setting(20.0, "HERALD_SMTP_TIMEOUT_S", "the SMTP provider's timeout")
    smtp_ca_file: str | None = setting(
        None, "HERALD_SMTP_CA_FILE", "a private relay's CA; the system's trust store otherwise"
    )
    email_from: str = setting("Herald <herald@localhost>", "HERALD_EMAIL_FROM", "sender")
    ambiguous_policy: AmbiguousPolicy = setting(
        AmbiguousPolicy.ASSUME_SENT,
        "HERALD_AMBIGUOUS_POLICY",
        "what deliver does when a provider may or may not have the message: `assume_sent`, "
        "`fail` or `resend` (see Guarantees)",
    )
    channel_policies: dict[str, AmbiguousPolicy] = Field(
        default_factory=dict,
        description="the ambiguity policy of one channel (`email`, `sms`, `push`, `chat`, "
        "`webhook`)",
        json_schema_extra={
            "env": f"{CHANNEL_POLICY_PREFIX}<CHANNEL>",
            "shown_default": "the default policy",
        },
    )
    max_delivery_tries: int = setting(
        20, "HERALD_MAX_DELIVERY_TRIES", "tries of a provider before it has failed"
    )
    retry_base_s: float = setting(30.0, "HERALD_RETRY_BASE_S", "the retry backoff's first wait")
    retry_max_s: float = setting(3600.0, "HERALD_RETRY_MAX_S", "the retry backoff's longest wait")
    # Courier's default: a message that cannot be delivered in 72 hours is undeliverable.
    message_timeout_s: float = setting(
        72 * 3600.0,
        "HERALD_MESSAGE_TIMEOUT_S",
        "when an undelivered message becomes `UNDELIVERABLE` (72 hours, Courier's default)",
    )
    channel_timeout_s: float | None = setting(
        None, "HERALD_CHANNEL_TIMEOUT_S", "the default of Courier's `timeout.channel`"
    )
    provider_timeout_s: float | None = setting(
        None, "HERALD_PROVIDER_TIMEOUT_S", "the default of Courier's `timeout.provider`"
    )
    rate_limits: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict,
        validation_alias="HERALD_RATE_LIMITS",
        description="calls per second per provider and instance, e.g. `twilio=10,sendgrid=100`",
    )
    attempt_lease_s: float = setting(
        120.0,
        "HERALD_ATTEMPT_LEASE_S",
        "how long a delivery holds an attempt; keep it above the provider timeouts",
    )
    webhook_timeout_s: float = setting(
        10.0, "HERALD_WEBHOOK_TIMEOUT_S", "the timeout of HTTP providers and customer webhooks"
    )
    webhook_allow_private: Flag = setting(
        False,
        "HERALD_WEBHOOK_ALLOW_PRIVATE",
        "allow webhook destinations on private addresses: the local stack's; a function "
        "refuses to start with it anywhere else (see Security)",
    )
    sweep_unpublished_after_s: float = setting(
        120.0,
        "HERALD_SWEEP_UNPUBLISHED_AFTER_S",
        "when the sweeper republishes an outbox record never published",
    )
    push_ack_deadline_s: float = setting(
        60.0,
        "HERALD_PUSH_ACK_DEADLINE_S",
        "the push subscriptions' ack deadline; Terraform sets it from `retry`",
    )
    push_max_backoff_s: float = setting(
        600.0,
        "HERALD_PUSH_MAX_BACKOFF_S",
        "the push subscriptions' longest retry backoff; Terraform sets it from `retry`",
    )
    sweep_stuck_after_configured_s: float | None = setting(
        None,
        "HERALD_SWEEP_STUCK_AFTER_S",
        "when the sweeper re-drives a message in a transient state (see Guarantees)",
        shown_default="lease + ack deadline + longest backoff (`780`)",
    )
    sweep_batch: int = setting(
        200, "HERALD_SWEEP_BATCH", "outbox records and messages a sweep run takes of each"
    )
    # Email links (unsubscribe, preferences, tracking): where the api is reached from
    # outside, and the secret(s) that sign them; without both, email carries none.
    public_url: str | None = _PUBLIC_URL
    link_secret: str | None = setting(
        None,
        "HERALD_LINK_SECRET",
        "signs email links; several, comma-separated, newest first, to rotate",
        is_secret=True,
    )
    link_ttl_days: float = setting(
        60.0, "HERALD_LINK_TTL_DAYS", "how long unsubscribe and preferences links work"
    )
    user_token_secret: str | None = setting(
        None,
        "HERALD_USER_TOKEN_SECRET",
        "signs the user tokens of `POST /auth/issue-token` (the inbox's JWTs); several, "
        "comma-separated, newest first, to rotate; the inbox is off without it",
        is_secret=True,
    )
    user_token_max_days: float = setting(
        365.0, "HERALD_USER_TOKEN_MAX_DAYS", "the longest `expires_in` a user token may ask"
    )
    realtime_max_connections: int = setting(
        500,
        "HERALD_REALTIME_MAX_CONNECTIONS",
        "open inbox sockets one real-time instance serves (each holds a Firestore listener)",
    )
    realtime_max_connections_per_user: int = setting(
        10,
        "HERALD_REALTIME_MAX_CONNECTIONS_PER_USER",
        "open inbox sockets of one user on one real-time instance",
    )
    console_session_hours: float = setting(
        8.0,
        "HERALD_CONSOLE_SESSION_HOURS",
        "how long a console sign-in lasts; its cookie is signed with the link secret",
    )
    # Amplification bounds: what one request, or one event, may cost a workspace.
    max_messages_per_request: int = setting(
        DEFAULT_MAX_MESSAGES_PER_REQUEST,
        "HERALD_MAX_MESSAGES_PER_REQUEST",
        "the messages one send may make, its lists' subscribers included",
    )
    max_webhook_endpoints: int = setting(
        DEFAULT_MAX_WEBHOOK_ENDPOINTS,
        "HERALD_MAX_WEBHOOK_ENDPOINTS",
        "customer webhook endpoints per workspace (each event is posted to each)",
    )
    # How long an instance keeps what it read: whether a workspace has webhook endpoints
    # (the relay), which workspace an API key opens (the api).
    webhook_endpoints_cache_s: float = setting(
        DEFAULT_WEBHOOK_ENDPOINTS_CACHE_S,
        "HERALD_WEBHOOK_ENDPOINTS_CACHE_S",
        "seconds a relay instance remembers whether a workspace has webhook endpoints",
    )
    api_key_cache_s: float = setting(
        DEFAULT_API_KEY_CACHE_S,
        "HERALD_API_KEY_CACHE_S",
        "seconds an api instance remembers an API key's workspace (a revoked key works that long)",
    )

    quota_rate: float = setting(
        DEFAULT_QUOTA_RATE,
        "HERALD_QUOTA_RATE",
        "a workspace's sustained POSTs per second, unless `herald quota` set its own",
        gt=0,
        le=MAX_QUOTA_RATE,
    )
    quota_burst: int = setting(
        DEFAULT_QUOTA_BURST,
        "HERALD_QUOTA_BURST",
        "a workspace's POSTs at once after a quiet spell, unless `herald quota` set its own",
        ge=1,
        le=MAX_QUOTA_BURST,
    )
    quota_instances: int = setting(
        1,
        "HERALD_QUOTA_INSTANCES",
        "the api instances a quota is shared among: each enforces 1/N of the rate and burst "
        "(1: each enforces all of it; see Quotas)",
        ge=1,
        le=1000,
    )

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _parse_limits(cls, value: Any) -> Any:
        return parse_limits(value) if isinstance(value, str) else value

    @property
    def sweep_stuck_after_s(self) -> float:
        if self.sweep_stuck_after_configured_s is not None:
            return self.sweep_stuck_after_configured_s
        return stuck_after_s(
            self.attempt_lease_s, self.push_ack_deadline_s, self.push_max_backoff_s
        )


class ProviderAccounts(_FromEnvironment):
    """Which providers a deployment runs, and the accounts and endpoints they use."""

    section: ClassVar[str] = "Providers"

    enabled: Annotated[tuple[str, ...], NoDecode] = setting(
        DEFAULT_PROVIDERS,
        "HERALD_PROVIDERS",
        "the providers this deployment runs, comma-separated (see Providers)",
    )
    sendgrid_api_key: str | None = setting(
        None, "SENDGRID_API_KEY", "SendGrid's API key", is_secret=True
    )
    sendgrid_from: str | None = setting(
        None, "HERALD_SENDGRID_FROM", "SendGrid's sender", shown_default="`HERALD_EMAIL_FROM`"
    )
    sendgrid_base_url: str = setting(
        "https://api.sendgrid.com", "HERALD_SENDGRID_BASE_URL", "SendGrid's API"
    )
    twilio_account_sid: str | None = setting(
        None, "TWILIO_ACCOUNT_SID", "Twilio's account", is_secret=True
    )
    twilio_auth_token: str | None = _TWILIO_AUTH_TOKEN
    twilio_from: str | None = setting(
        None,
        "HERALD_TWILIO_FROM",
        "Twilio's sender: a number or an `MG…` messaging service",
        is_secret=True,
    )
    public_url: str | None = _PUBLIC_URL
    twilio_base_url: str = setting(
        "https://api.twilio.com", "HERALD_TWILIO_BASE_URL", "Twilio's API"
    )
    fcm_project: str | None = setting(
        None,
        "HERALD_FCM_PROJECT",
        "the Firebase project push goes through",
        shown_default="the project",
    )
    fcm_access_token: str | None = setting(
        None,
        "HERALD_FCM_ACCESS_TOKEN",
        "a fixed FCM access token; without it, the function's service account's "
        "(scope `firebase.messaging`)",
        is_secret=True,
    )
    fcm_base_url: str = setting("https://fcm.googleapis.com", "HERALD_FCM_BASE_URL", "FCM's API")
    slack_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = setting(
        ("hooks.slack.com",),
        "HERALD_SLACK_ALLOWED_HOSTS",
        "hosts a Slack incoming webhook may be on, comma-separated; loopback or private "
        "ones only in the local stack",
    )
    slack_api_base_url: str = setting(
        "https://slack.com/api",
        "HERALD_SLACK_API_BASE_URL",
        "Slack's Web API (chat.postMessage, for recipients with an access_token)",
    )
    msteams_app_id: str | None = setting(
        None, "MSTEAMS_APP_ID", "the Teams bot's Microsoft app id", is_secret=True
    )
    msteams_app_password: str | None = setting(
        None, "MSTEAMS_APP_PASSWORD", "the Teams bot's client secret", is_secret=True
    )
    msteams_token_url: str = setting(
        "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token",
        "HERALD_MSTEAMS_TOKEN_URL",
        "where the Teams bot gets its Bot Framework token (a single-tenant bot: its tenant's)",
    )
    msteams_service_url: str = setting(
        "https://smba.trafficmanager.net/teams/",
        "HERALD_MSTEAMS_SERVICE_URL",
        "the Bot Framework service a Teams recipient without a service_url is reached on",
    )
    msteams_service_hosts: Annotated[tuple[str, ...], NoDecode] = setting(
        ("smba.trafficmanager.net",),
        "HERALD_MSTEAMS_SERVICE_HOSTS",
        "hosts a Teams recipient's service_url may be on (the bot's token goes there), "
        "comma-separated; loopback or private ones only in the local stack",
    )
    webhook_signing_secret: str | None = setting(
        None,
        "HERALD_WEBHOOK_SIGNING_SECRET",
        "`whsec_…`: signs webhook deliveries (Standard Webhooks); unsigned without it",
        is_secret=True,
    )

    @field_validator("enabled", "slack_allowed_hosts", "msteams_service_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("enabled")
    @classmethod
    def _known(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if unknown := [n for n in names if n not in PROVIDER_CHANNELS]:
            raise ValueError(
                f"HERALD_PROVIDERS names unknown providers {unknown}; "
                f"known: {sorted(PROVIDER_CHANNELS)}"
            )
        if built_in := [n for n in names if n in BUILT_IN_PROVIDERS]:
            raise ValueError(f"HERALD_PROVIDERS names {built_in}: built in, always enabled")
        return names


class TelemetrySettings(_FromEnvironment):
    """Where traces and metrics go. The exporters' defaults depend on where a function
    runs, so they are worked out by herald.observability when not set."""

    section: ClassVar[str] = "Telemetry"

    trace_exporter: str | None = setting(
        None,
        "HERALD_TRACE_EXPORTER",
        "where spans go: `gcp`, `otlp`, `file` or `none`",
        shown_default="`gcp` on Cloud Run, `otlp` if `OTEL_EXPORTER_OTLP_ENDPOINT` is set, "
        "else `none`; `file` in the local stack",
    )
    trace_dir: Path = setting(
        Path(".herald/traces"), "HERALD_TRACE_DIR", "the `file` exporter's directory"
    )
    trace_sample_ratio: float = setting(
        1.0,
        "HERALD_TRACE_SAMPLE_RATIO",
        "share of new traces recorded (a caller's sampling decision is kept)",
    )
    metrics_exporter: str | None = setting(
        None,
        "HERALD_METRICS_EXPORTER",
        "where metrics go: `gcp`, `otlp` or `none`",
        shown_default="`gcp` on Cloud Run, `otlp` if an endpoint is set, else `none`",
    )
    metrics_export_interval_s: float = setting(
        60.0,
        "HERALD_METRICS_EXPORT_INTERVAL_S",
        "how often metrics are exported, in seconds; at least `5`",
    )
    cloud_trace_endpoint: str | None = setting(
        None,
        "HERALD_CLOUD_TRACE_ENDPOINT",
        "`host:port` of a local Cloud Trace stand-in the `gcp` exporter sends to, in "
        "plaintext; refused on Cloud Run",
    )
    cloud_monitoring_endpoint: str | None = setting(
        None,
        "HERALD_CLOUD_MONITORING_ENDPOINT",
        "`host:port` of a local Cloud Monitoring stand-in, likewise",
    )

    @field_validator("metrics_export_interval_s", mode="before")
    @classmethod
    def _no_shorter_than_cloud_monitoring_takes(cls, value: Any) -> Any:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = 0.0
        if not MIN_EXPORT_INTERVAL_S <= seconds < math.inf:
            raise ValueError(
                f"HERALD_METRICS_EXPORT_INTERVAL_S={value!r}: "
                f"a number of seconds, at least {MIN_EXPORT_INTERVAL_S:g}"
            )
        return seconds


# The configuration page, a section per model, in this order.
SETTINGS_MODELS: tuple[type[_FromEnvironment], ...] = (
    Settings,
    CallbackSettings,
    ProviderAccounts,
    TelemetrySettings,
)
