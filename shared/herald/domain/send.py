"""The body of ``POST /send``, in Courier's field names.

Courier fields Herald does not implement yet are named, so a caller gets a 400
that says so instead of having them silently ignored.
"""

from __future__ import annotations

import datetime
import re
import time
import zoneinfo
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from herald.domain.catalog import COURIER_CHANNEL, PROVIDER_CHANNELS
from herald.domain.headers import header_problem
from herald.locales import check_locale
from herald.templating import TemplateError, compile_expression

MAX_RECIPIENTS = 1000
# A message's document holds its content, data and rendered output, within
# Firestore's 1 MiB per document (Courier accepts 6 MB).
MAX_SEND_BYTES = 256 * 1024
MAX_TAGS, MAX_TAG_CHARS = 9, 30
# Every channel, in the default order of ``single`` routing.
CHANNELS = ("email", "sms", "push", "chat", "webhook")
# Channels a message goes out on only when its routing names them (as in Courier, an
# in-app inbox is never a fallback of a routing that did not ask for it).
NAMED_ONLY_CHANNELS = ("inbox",)

NOT_YET_SUPPORTED_MESSAGE_FIELDS: frozenset[str] = frozenset()
NOT_YET_SUPPORTED_METADATA_FIELDS: frozenset[str] = frozenset()
NOT_YET_SUPPORTED_TIMEOUT_FIELDS = frozenset({"escalation", "criteria"})
NOT_YET_SUPPORTED_CHANNEL_FIELDS = frozenset({"metadata", "timeouts", "brand_id"})
NOT_YET_SUPPORTED_PROVIDER_FIELDS = frozenset({"metadata"})
# Courier's ``channels.<channel>.override`` fields Herald does not apply: the sender is the
# deployment's (its verified domain), and the rest has no place in Herald's providers yet.
NOT_YET_SUPPORTED_OVERRIDE_FIELDS = frozenset(
    {"attachments", "bcc", "brand", "cc", "from", "reply_to", "replyTo", "tracking"}
)
NOT_YET_SUPPORTED_RECIPIENT_FIELDS = frozenset(
    {
        "account_id",
        "list_pattern",
        "preferences",
        "filters",
        "pagerduty",  # Courier's PagerDuty recipient: Herald has no PagerDuty provider
    }
)

# Printable ASCII only (no space, control character or NUL), and no "@" in either part.
_EMAIL = re.compile(r"^[!-?A-~]+@[!-?A-~]+\.[!-\-/-?A-~]+$")
# ASCII digits only: "\d" would take the full-width and other Unicode digits too.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# A channel's or an automation step's ``if``: a template expression.
MAX_CONDITION_CHARS = 1000
# An override's subject, as one line of a mail header may be (RFC 5322); its other texts
# as long as a rendered content may be.
MAX_OVERRIDE_SUBJECT_CHARS = 998
MAX_OVERRIDE_TEXT_CHARS = 200_000
# The rendered fields an override may replace, by channel: what Herald's providers send.
OVERRIDE_FIELDS = {
    "email": ("subject", "text", "html"),
    "sms": ("text",),
    "push": ("title", "body"),
    "chat": ("text",),
    "inbox": ("title", "body"),
    "webhook": ("title", "body"),
}
# Marks, in a routed message's provider settings, a provider whose ``if`` was false.
LEFT_OUT = "left_out"
# Courier's provider override fields that would reach the provider's endpoint or
# credentials: the deployment's alone.
PROVIDER_OVERRIDE_REFUSED = ("config", "url", "headers", "query", "auth", "baseUrl", "base_url")
# The longest a timeout may be, as Courier's message timeout (and the longest delay).
MAX_TIMEOUT_MS = 30 * 24 * 3600 * 1000


# Firestore's rules for a field name (a key of a map at any depth): not empty, not
# __x__, and its whole path at most 1,500 bytes, as Firestore writes it (a key that is
# not a plain name is quoted in backticks); room is left for the names above the value.
MAX_FIELD_PATH_BYTES = 1400
_RESERVED_FIELD = re.compile(r"__.*__", re.DOTALL)
_PLAIN_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def field_path_bytes(key: str) -> int:
    """What ``key`` adds to a field path: itself, quoted if it must be, and a dot."""
    if _PLAIN_FIELD.fullmatch(key):
        return len(key) + 1
    quoted = key.replace("\\", "\\\\").replace("`", "\\`")
    return len(quoted.encode("utf-8", "surrogatepass")) + 3


def field_name_problem(key: str, above_bytes: int = 0) -> str | None:
    """Why Firestore would not take ``key`` as a field name, or None."""
    if not key:
        return "has an empty key, which cannot be stored"
    if _RESERVED_FIELD.fullmatch(key):
        return f"has the key {key[:40]!r}; Firestore reserves keys like __name__"
    if above_bytes + field_path_bytes(key) > MAX_FIELD_PATH_BYTES:
        return (
            f"has keys nested more than {MAX_FIELD_PATH_BYTES} bytes deep, which cannot be stored"
        )
    return None


def storable(value: Any, inside_list: bool = False, depth: int = 0, path_bytes: int = 0) -> Any:
    """Refuses what Firestore cannot store: a list directly inside a list, deep nesting,
    keys it reserves or cannot hold."""
    if depth > 20:
        raise ValueError("is nested more than 20 levels deep")
    if isinstance(value, list):
        if inside_list:
            raise ValueError("has a list directly inside a list, which cannot be stored")
        for item in value:
            storable(item, True, depth + 1, path_bytes)
    elif isinstance(value, dict):
        for key, item in value.items():
            if problem := field_name_problem(str(key), path_bytes):
                raise ValueError(problem)
            storable(item, False, depth + 1, path_bytes + field_path_bytes(str(key)))
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_URL_LENGTH = 2048


# RFC 6750's b64token: what a bearer token may be in an Authorization header.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
MAX_CREDENTIAL_CHARS = 4096


class WebhookAuthentication(_Strict):
    """Courier's webhook ``authentication``: the Authorization header Herald sends."""

    mode: Literal["none", "basic", "bearer"]
    token: str | None = Field(default=None, max_length=MAX_CREDENTIAL_CHARS)
    username: str | None = Field(default=None, max_length=MAX_CREDENTIAL_CHARS)
    password: str | None = Field(default=None, max_length=MAX_CREDENTIAL_CHARS)

    @model_validator(mode="after")
    def _credentials_of_the_mode(self) -> WebhookAuthentication:
        given = {
            name for name in ("token", "username", "password") if getattr(self, name) is not None
        }
        wanted = {"none": set(), "basic": {"username", "password"}, "bearer": {"token"}}[self.mode]
        if missing := sorted(wanted - given):
            raise ValueError(f"mode {self.mode} needs {' and '.join(missing)}")
        if extra := sorted(given - wanted):
            raise ValueError(f"mode {self.mode} takes no {' or '.join(extra)}")
        if self.token is not None and not _BEARER_TOKEN.fullmatch(self.token):
            raise ValueError("token must be a bearer token (letters, digits and -._~+/, then =)")
        if self.username is not None and (
            ":" in self.username or header_problem("u", self.username)
        ):
            raise ValueError("username must have no ':' or control character (RFC 7617)")
        if self.password is not None and header_problem("p", self.password):
            raise ValueError("password must have no control character")
        return self


class WebhookDestination(_Strict):
    url: str = Field(max_length=MAX_URL_LENGTH)
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    authentication: WebhookAuthentication | None = None
    # Courier's payload profile: "expanded" adds the recipient's profile to the body.
    profile: Literal["limited", "expanded"] = "limited"

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, value: Any) -> Any:
        # Courier's SDK sends null for what it was not given.
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v is not None or k == "url"}
        return value

    @model_validator(mode="after")
    def _one_authorization(self) -> WebhookDestination:
        authenticated = self.authentication is not None and self.authentication.mode != "none"
        if authenticated and any(name.lower() == "authorization" for name in self.headers):
            raise ValueError(
                "headers has an Authorization header and authentication gives another: give one"
            )
        return self

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry credentials; send them in headers")
        try:
            parts.port  # noqa: B018 - parsing it is the check
        except ValueError as exc:
            raise ValueError("has an invalid port") from exc
        return url

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if problem := header_problem(name, value):
                raise ValueError(problem)
        return headers


class SlackWebhook(_Strict):
    url: str = Field(max_length=MAX_URL_LENGTH)

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        if urlsplit(url).scheme not in ("https", "http") or not urlsplit(url).hostname:
            raise ValueError("must be the incoming webhook's URL")
        return url


# Slack's tokens (xoxb-..., xoxp-...) and ids: letters, digits and dashes; a channel's
# name may also have its '#', '_' and '.'.
_SLACK_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]{1,250}")
_SLACK_CHANNEL = re.compile(r"#?[A-Za-z0-9._-]{1,80}")
_SLACK_USER = re.compile(r"[A-Z0-9]{1,32}")
SLACK_TARGETS = ("channel", "email", "user_id")
MAX_SLACK_TOKEN_CHARS = 256
MAX_SLACK_CHANNEL_CHARS = 81
MAX_SLACK_USER_CHARS = 32


class SlackDestination(_Strict):
    """An incoming webhook, or Courier's Web API shapes: ``access_token`` with one of
    ``channel``, ``email`` (the workspace member with that address) or ``user_id``."""

    incoming_webhook: SlackWebhook | None = None
    access_token: str | None = Field(default=None, max_length=MAX_SLACK_TOKEN_CHARS)
    channel: str | None = Field(default=None, max_length=MAX_SLACK_CHANNEL_CHARS)
    email: str | None = Field(default=None, max_length=254)
    user_id: str | None = Field(default=None, max_length=MAX_SLACK_USER_CHARS)

    @model_validator(mode="after")
    def _one_destination(self) -> SlackDestination:
        targets = [name for name in SLACK_TARGETS if getattr(self, name) is not None]
        if self.incoming_webhook is not None:
            if self.access_token is not None or targets:
                raise ValueError("an incoming_webhook alone, or an access_token with a target")
            return self
        if self.access_token is None:
            raise ValueError(
                "needs incoming_webhook, or access_token with channel, email or user_id"
            )
        if len(targets) != 1:
            raise ValueError("an access_token goes with one of channel, email or user_id")
        if not _SLACK_TOKEN.fullmatch(self.access_token):
            raise ValueError("access_token is not a Slack token (xoxb-..., xoxp-...)")
        if self.channel is not None and not _SLACK_CHANNEL.fullmatch(self.channel):
            raise ValueError("channel is not a Slack channel id or name")
        if self.user_id is not None and not _SLACK_USER.fullmatch(self.user_id):
            raise ValueError("user_id is not a Slack user id (U0123ABCD)")
        if self.email is not None and not _EMAIL.match(self.email):
            raise ValueError("email is not an email address")
        return self


# Bot Framework ids (29:..., 19:...@thread.tacv2, a:...): printable ASCII, no space; a
# tenant is an Azure AD directory id.
_TEAMS_ID = re.compile(r"[!-~]{1,512}")
_TEAMS_TENANT = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_TEAMS_ID_CHARS = 512
MS_TEAMS_TARGETS = ("conversation_id", "user_id", "channel_id", "email", "channel_name")


class MsTeamsDestination(_Strict):
    """Courier's Microsoft Teams recipient, posted as the deployment's bot through the Bot
    Framework's Connector API: a ``conversation_id`` (with ``service_url`` and
    ``tenant_id``), a ``user_id`` (a personal chat with the bot; with a ``tenant_id`` or a
    ``service_url``) or a ``channel_id`` (a new post in that channel). ``email`` and
    ``channel_name`` are refused: finding the user or the channel takes Microsoft Graph,
    which Herald does not call."""

    conversation_id: str | None = Field(default=None, max_length=MAX_TEAMS_ID_CHARS)
    user_id: str | None = Field(default=None, max_length=MAX_TEAMS_ID_CHARS)
    channel_id: str | None = Field(default=None, max_length=MAX_TEAMS_ID_CHARS)
    email: str | None = Field(default=None, max_length=254)
    channel_name: str | None = Field(default=None, max_length=MAX_TEAMS_ID_CHARS)
    team_id: str | None = Field(default=None, max_length=MAX_TEAMS_ID_CHARS)
    service_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    tenant_id: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_destination(self) -> MsTeamsDestination:
        targets = [name for name in MS_TEAMS_TARGETS if getattr(self, name) is not None]
        if len(targets) != 1:
            raise ValueError("needs one of " + ", ".join(MS_TEAMS_TARGETS))
        if self.email is not None:
            raise ValueError(
                "email is not supported: finding a Teams user by address takes Microsoft"
                " Graph, which Herald does not call; give the user's user_id"
            )
        if self.channel_name is not None:
            raise ValueError(
                "channel_name is not supported: finding a channel by name takes Microsoft"
                " Graph, which Herald does not call; give its channel_id"
            )
        if self.team_id is not None:
            raise ValueError("team_id goes only with channel_name")
        if self.conversation_id is not None and (self.service_url is None or not self.tenant_id):
            raise ValueError("a conversation_id goes with its service_url and tenant_id")
        if self.user_id is not None and self.tenant_id is None and self.service_url is None:
            # As Courier documents it: the user's organisation, or the service it is on.
            raise ValueError("a user_id goes with a tenant_id or a service_url, or both")
        for name in ("conversation_id", "user_id", "channel_id"):
            value = getattr(self, name)
            if value is not None and not _TEAMS_ID.fullmatch(value):
                raise ValueError(f"{name} must be a Bot Framework id: printable, no spaces")
        if self.tenant_id is not None and not _TEAMS_TENANT.fullmatch(self.tenant_id):
            raise ValueError("tenant_id must be a directory id: letters, digits and dashes")
        if self.service_url is not None:
            parts = urlsplit(self.service_url)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError("service_url must be the Bot Framework service's https:// URL")
            if parts.username is not None or parts.password is not None or parts.query:
                raise ValueError("service_url must have no credentials or query")
        return self


# The caller's ids (users, lists, templates, ...), also those in API paths: never starting
# with "_" or "." (Firestore's reserved names __x__, ., .. would be a 500).
ID_PATTERN = r"[A-Za-z0-9@+|:~-][A-Za-z0-9._@+|:~-]{0,255}"
_ID = re.compile(f"^{ID_PATTERN}$")


def check_identifier(value: str | None) -> str | None:
    if value is not None and not _ID.match(value):
        raise ValueError("must be 1-256 letters, digits or ._@+|:~- and not start with '.' or '_'")
    return value


# A national number ("2025550125", "(415) 555-0100") is read as in the workspace's
# region (its settings' ``phone_region``), given to validation in this context key.
PHONE_REGION_CONTEXT = "phone_region"
DEFAULT_PHONE_REGION = "US"
MAX_PHONE_CHARS = 64


def phone_region_problem(region: str) -> str | None:
    """Why ``region`` cannot be a workspace's phone region, or None."""
    import phonenumbers

    if region not in phonenumbers.SUPPORTED_REGIONS:
        return f"{region[:10]!r} is not a region: an ISO 3166 code such as US, GB or FR"
    return None


def e164(number: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The number in E.164 (+14155550100), a national one read as in ``region``."""
    import phonenumbers

    if len(number) > MAX_PHONE_CHARS:
        raise ValueError(f"is longer than {MAX_PHONE_CHARS} characters")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            f"cannot be read as a phone number (national numbers are read as in {region})"
        ) from exc
    if parsed.extension:
        raise ValueError("has an extension, which a text message cannot reach")
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # Possible: of a length a number of its country has, dialable from anywhere (not a
    # local-only number). The numbering plan is not checked: it refuses the 555 numbers
    # of examples and tests.
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE or not _E164.fullmatch(formatted):
        raise ValueError(
            f"cannot be read as a phone number (national numbers are read as in {region})"
        )
    return formatted


class Addresses(_Strict):
    """A recipient's address on each channel, checked the same in a send and in a profile."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    email: str | None = None
    phone_number: str | None = None
    # Courier's name for an FCM registration token.
    firebase_token: str | None = Field(default=None, alias="firebaseToken", max_length=4096)
    slack: SlackDestination | None = None
    ms_teams: MsTeamsDestination | None = None
    webhook: WebhookDestination | None = None

    @field_validator("phone_number")
    @classmethod
    def _e164(cls, number: str | None, info: ValidationInfo) -> str | None:
        if number is None:
            return None
        region = (info.context or {}).get(PHONE_REGION_CONTEXT, DEFAULT_PHONE_REGION)
        return e164(number, region)

    @field_validator("email")
    @classmethod
    def _email_address(cls, email: str | None) -> str | None:
        if email is not None and not email.isascii():
            raise ValueError("must be ASCII (internationalised addresses are not supported yet)")
        if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
            raise ValueError("is not an email address")
        return email

    @field_validator("webhook", mode="before")
    @classmethod
    def _url_shorthand(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value


# Where a recipient or a profile keeps its addresses (Courier's names).
ADDRESS_FIELDS = ("email", "phone_number", "firebaseToken", "slack", "ms_teams", "webhook")


class Recipient(Addresses):
    # A user, whose stored profile fills in the addresses not given here.
    user_id: str | None = None
    # A list: every subscriber gets a message of their own (fanned out in the pipeline).
    list_id: str | None = None
    # Alone, a tenant's users, fanned out like a list; beside a user_id, the tenant
    # whose brand, preferences and properties that user's message takes.
    tenant_id: str | None = None
    # An audience: every profile its filter matches gets a message (fanned out too).
    audience_id: str | None = None
    # The locale the message is written in (else the profile's): a template's variant
    # and the translations nearest it (pt-BR, else pt, else the default).
    locale: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    _user_id = field_validator("user_id")(classmethod(lambda cls, v: check_identifier(v)))
    _list_id = field_validator("list_id")(classmethod(lambda cls, v: check_identifier(v)))
    _tenant_id = field_validator("tenant_id")(classmethod(lambda cls, v: check_identifier(v)))
    _locale = field_validator("locale")(classmethod(lambda cls, v: check_locale(v)))
    _audience_id = field_validator("audience_id")(classmethod(lambda cls, v: check_identifier(v)))

    @field_validator("data")
    @classmethod
    def _storable_data(cls, data: dict[str, Any]) -> dict[str, Any]:
        storable(data)
        return data

    @model_validator(mode="after")
    def _has_an_address(self) -> Recipient:
        addresses = (
            self.email,
            self.phone_number,
            self.firebase_token,
            self.slack,
            self.ms_teams,
            self.webhook,
        )
        if self.audience_id is not None:
            if self.user_id or self.list_id or self.tenant_id or any(addresses):
                raise ValueError("an audience recipient takes only audience_id and data")
            return self
        if self.list_id is not None:
            if self.user_id is not None or self.tenant_id is not None or any(addresses):
                raise ValueError("a list recipient takes only list_id and data")
            return self
        if self.tenant_id is not None and self.user_id is None:
            if any(addresses):
                raise ValueError("a tenant recipient takes only tenant_id, user_id and data")
            return self
        if self.user_id is None and not any(addresses):
            raise ValueError(
                "a recipient needs a user_id, list_id, tenant_id, audience_id, email,"
                " phone_number, firebaseToken, slack, ms_teams or webhook"
            )
        return self


class Content(_Strict):
    """Courier's content "sugar": a title and a body, for every channel."""

    title: str = ""
    body: str

    @field_validator("title", "body")
    @classmethod
    def _bounded(cls, text: str) -> str:
        if len(text) > 100_000:
            raise ValueError("is longer than 100000 characters")
        return text


class ElementalContent(_Strict):
    """Courier's Elemental content: versioned elements (checked by ``domain.elemental``)."""

    version: str = "2022-01-01"
    elements: list[dict[str, Any]] = Field(min_length=1, max_length=500)

    @field_validator("elements")
    @classmethod
    def _storable_elements(cls, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        storable(elements)
        return elements


def content_of(value: Any) -> Any:
    """Elemental or the title/body sugar, told apart by their fields, so that an error
    names the fields of the kind that was meant."""
    if isinstance(value, dict) and ("elements" in value or "version" in value):
        return ElementalContent.model_validate(value)
    if isinstance(value, dict):
        return Content.model_validate(value)
    return value


Channel = Literal["email", "sms", "push", "chat", "webhook", "inbox"]

# Courier's channel names, as Herald's channels: Courier's direct_message is Herald's
# chat (Herald's own name is kept as an alias); inbox and banner are Courier channels
# that a provider must serve before a message may name them.
COURIER_CHANNEL_NAMES: dict[str, str] = {
    "email": "email",
    "sms": "sms",
    "push": "push",
    "direct_message": "chat",
    "chat": "chat",
    "webhook": "webhook",
    "inbox": "inbox",
    "banner": "banner",
}


def channel_named(name: str) -> str:
    """Herald's channel for a Courier channel name; a clear error for any other name."""
    channel = COURIER_CHANNEL_NAMES.get(name)
    if channel is None:
        raise ValueError(
            f"{name[:60]!r} is not a channel: one of {', '.join(COURIER_CHANNEL_NAMES)}"
        )
    if channel not in PROVIDER_CHANNELS.values():
        raise ValueError(f"{name!r} is a Courier channel that no Herald provider serves yet")
    return channel


def routing_target(name: str) -> str:
    """A name in ``routing.channels``: a channel (as Herald's), or a provider key as is."""
    if name in PROVIDER_CHANNELS and name not in COURIER_CHANNEL_NAMES:
        return name
    try:
        return channel_named(name)
    except ValueError as exc:
        if name in COURIER_CHANNEL_NAMES:
            raise
        raise ValueError(f"{exc}, or a provider: one of {', '.join(PROVIDER_CHANNELS)}") from exc


RoutingTarget = Annotated[str, Field(max_length=64), AfterValidator(routing_target)]


def _known_provider(name: str) -> str:
    if name not in PROVIDER_CHANNELS:
        raise ValueError(f"{name[:60]!r} is not a provider: one of {', '.join(PROVIDER_CHANNELS)}")
    return name


ProviderName = Annotated[str, Field(max_length=64), AfterValidator(_known_provider)]


class Routing(_Strict):
    """Courier's routing: ``single`` tries its channels in order, ``all`` uses each.

    A channel may itself be a routing, to any depth Courier allows.
    """

    method: Literal["single", "all"] = "single"
    # Channel names, Courier's or Herald's, and provider keys ("sendgrid"), which route to
    # that provider's channel through that provider.
    channels: list[RoutingTarget | Routing] = Field(min_length=1, max_length=20)

    def providers_named(self) -> dict[str, list[str]]:
        """The provider keys among the channels, by their channel, in routing order."""
        named: dict[str, list[str]] = {}
        for name in dict.fromkeys(self.leaves()):
            if (channel := PROVIDER_CHANNELS.get(name)) is not None and name != channel:
                named.setdefault(channel, []).append(name)
        return named

    def tree(self) -> dict[str, Any]:
        """The routing by channel (a provider key as its channel), as the pipeline plans it."""
        return {
            "method": self.method,
            "channels": [
                c.tree() if isinstance(c, Routing) else PROVIDER_CHANNELS.get(c, c)
                for c in self.channels
            ],
        }

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.channels if isinstance(c, Routing)), default=0)

    def leaves(self) -> list[str]:
        found: list[str] = []
        for channel in self.channels:
            found.extend(channel.leaves() if isinstance(channel, Routing) else [channel])
        return found

    @model_validator(mode="after")
    def _shallow(self) -> Routing:
        if self.depth() > 5:
            raise ValueError("is nested more than 5 levels deep")
        return self


def check_condition(condition: str | None) -> str | None:
    """A template expression that compiles in the templates' sandbox (its limits apply)."""
    if condition is not None:
        try:
            compile_expression(condition)
        except TemplateError as exc:
            raise ValueError(str(exc)) from exc
    return condition


class Override(_Strict):
    """The rendered content a channel's (or one provider's) send replaces, literally, after
    rendering: only the fields ``OVERRIDE_FIELDS`` gives the channel."""

    subject: str | None = Field(default=None, max_length=MAX_OVERRIDE_SUBJECT_CHARS)
    text: str | None = Field(default=None, max_length=MAX_OVERRIDE_TEXT_CHARS)
    html: str | None = Field(default=None, max_length=MAX_OVERRIDE_TEXT_CHARS)
    title: str | None = Field(default=None, max_length=MAX_OVERRIDE_SUBJECT_CHARS)
    body: str | None = Field(default=None, max_length=MAX_OVERRIDE_TEXT_CHARS)

    @field_validator("subject", "title")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and ("\r" in value or "\n" in value):
            raise ValueError("must be one line")
        return value

    def fields(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)

    def check_for(self, channel: str) -> None:
        """A ValueError naming the first field the channel has no place for."""
        for name in self.fields():
            if name not in OVERRIDE_FIELDS[channel]:
                allowed = ", ".join(OVERRIDE_FIELDS[channel]) or "none"
                raise ValueError(
                    f"{name}: the {channel} channel has no {name} (it takes {allowed})"
                )


class ProviderOverride(_Strict):
    """Courier's ``providers.<provider>.override``: Herald takes its ``body`` as the
    rendered content that provider alone sends (an ``Override``); never the provider's
    endpoint or credentials."""

    body: Override | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_endpoint_or_credentials(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name in PROVIDER_OVERRIDE_REFUSED:
                if name in value:
                    raise ValueError(
                        f"{name}: a provider's endpoint and credentials are the deployment's;"
                        " only override.body is taken"
                    )
        return value


class ChannelSettings(_Strict):
    """Courier's ``channels.<channel>``: which providers serve the channel, in order, when
    it is used at all (``if``), and what of its rendered content is replaced."""

    providers: list[ProviderName] | None = Field(default=None, min_length=1, max_length=10)
    routing_method: str = "single"
    # Courier's ``if``: the channel is routed only when this template expression, over the
    # send's data and the recipient's profile, is truthy (evaluated at render).
    condition: str | None = Field(
        default=None, alias="if", min_length=1, max_length=MAX_CONDITION_CHARS
    )
    override: Override | None = None

    _condition = field_validator("condition")(classmethod(lambda cls, v: check_condition(v)))

    @field_validator("routing_method")
    @classmethod
    def _failover_only(cls, method: str) -> str:
        if method == "all":
            raise ValueError(
                "'all' (through every provider of the channel) is a Courier value Herald does"
                " not support yet; 'single' fails over between them"
            )
        if method != "single":
            raise ValueError("must be 'single' or 'all'")
        return method


class ProviderSettings(_Strict):
    """Courier's ``providers.<provider>``: how long that provider may keep failing (ms),
    whether it is tried at all, and what of the rendered content it alone sends."""

    timeouts: int | None = Field(default=None, gt=0, le=MAX_TIMEOUT_MS)
    # Courier's ``if``: the provider is tried only when this expression holds (as a
    # channel's, evaluated at render).
    condition: str | None = Field(
        default=None, alias="if", min_length=1, max_length=MAX_CONDITION_CHARS
    )
    override: ProviderOverride | None = None

    _condition = field_validator("condition")(classmethod(lambda cls, v: check_condition(v)))


class Preferences(_Strict):
    subscription_topic_id: str

    _topic = field_validator("subscription_topic_id")(
        classmethod(lambda cls, v: check_identifier(v))
    )


class Utm(_Strict):
    source: str | None = Field(default=None, max_length=200)
    medium: str | None = Field(default=None, max_length=200)
    campaign: str | None = Field(default=None, max_length=200)
    term: str | None = Field(default=None, max_length=200)
    content: str | None = Field(default=None, max_length=200)


def _to_accepts_one_or_many(schema: dict[str, Any]) -> None:
    as_list = schema["properties"]["to"]
    schema["properties"]["to"] = {"anyOf": [as_list["items"], as_list], "title": "To"}
    # Content or a template, one of the two (checked by ``_content_or_template``).
    schema["oneOf"] = [{"required": ["content"]}, {"required": ["template"]}]


class Timeout(_Strict):
    """Courier's timeouts, in milliseconds: how long a provider, a channel and the whole
    message may keep failing before giving up (the message default is 72 hours).

    ``channel`` and ``provider`` are either one figure for all, or one per name, as
    Courier sends them: ``{"channel": {"email": 600000}}``.
    """

    message: int | None = Field(default=None, gt=0, le=MAX_TIMEOUT_MS)
    channel: int | dict[str, int] | None = None
    provider: int | dict[str, int] | None = None

    @field_validator("channel", "provider", mode="wrap")
    @classmethod
    def _positive(cls, value: Any, handler: Any) -> int | dict[str, int] | None:
        # Checked by hand: pydantic's union errors would name both branches.
        def positive(figure: Any) -> bool:
            return (
                isinstance(figure, int)
                and not isinstance(figure, bool)
                and 0 < figure <= MAX_TIMEOUT_MS
            )

        if value is None or positive(value):
            return value  # type: ignore[no-any-return]
        if isinstance(value, dict) and all(
            isinstance(k, str) and positive(v) for k, v in value.items()
        ):
            return value
        raise ValueError(
            f"must be milliseconds from 1 to {MAX_TIMEOUT_MS} (30 days), or an object of them"
            " by name"
        )


MAX_DELAY_MS = 30 * 24 * 3600 * 1000


class Delay(_Strict):
    """Courier's delay: wait ``duration`` milliseconds, or ``until`` an ISO 8601 time, read
    in ``timezone`` (an IANA name) when it gives no offset of its own."""

    duration: int | None = Field(default=None, gt=0, le=MAX_DELAY_MS)
    # Before ``until``, whose check reads it.
    timezone: str | None = Field(default=None, max_length=64)
    until: str | None = Field(default=None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, timezone: str | None) -> str | None:
        if timezone is not None:
            _zone(timezone)
        return timezone

    @field_validator("until")
    @classmethod
    def _zoned_and_near(cls, until: str | None, info: ValidationInfo) -> str | None:
        if until is None:
            return None
        try:
            moment = _moment(until, info.data.get("timezone"))
        except ValueError as exc:
            raise ValueError(
                "must be an ISO 8601 date and time, like 2026-12-01T09:00:00Z"
            ) from exc
        if moment is None:
            raise ValueError(
                "must say its time zone, like 2026-12-01T09:00:00Z, or delay.timezone name one"
            )
        if moment.timestamp() * 1000 > time.time() * 1000 + MAX_DELAY_MS:
            raise ValueError("is more than 30 days away, the longest delay")
        return until

    def moment(self) -> datetime.datetime | None:
        return _moment(self.until, self.timezone) if self.until is not None else None

    def due_ms(self, now_ms: int) -> int:
        """When the message may go out: the later of the two, if both are given."""
        due = now_ms + (self.duration or 0)
        if (moment := self.moment()) is not None:
            due = max(due, int(moment.timestamp() * 1000))
        return min(due, now_ms + MAX_DELAY_MS)


MAX_EXPIRY_CHARS = 64
# An ISO 8601 duration of weeks, or of days and a time (P1DT4H, PT30M, PT1.5S); years
# and months have no fixed length. Bounded input: MAX_EXPIRY_CHARS, checked first.
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d{1,6})W|(?:(?P<days>\d{1,6})D)?"
    r"(?:T(?:(?P<hours>\d{1,8})H)?(?:(?P<minutes>\d{1,10})M)?"
    r"(?:(?P<seconds>\d{1,12}(?:[.,]\d{1,3})?)S)?)?)"
)
_UNIT_MS = {"weeks": 604_800_000, "days": 86_400_000, "hours": 3_600_000, "minutes": 60_000}
# An epoch figure this large or larger is in milliseconds, else in seconds (year 2286).
_EPOCH_MS_FROM = 10_000_000_000


def duration_ms(text: str) -> int | None:
    """An ISO 8601 duration in milliseconds; None if ``text`` is not one."""
    if len(text) > MAX_EXPIRY_CHARS:
        return None
    found = _DURATION.fullmatch(text.strip().upper())
    if found is None or not any(found.groupdict().values()) or text.strip().endswith("T"):
        return None
    total = 0
    for unit, figure in found.groupdict().items():
        if figure is not None:
            if unit == "seconds":
                total += round(float(figure.replace(",", ".")) * 1000)
            else:
                total += int(figure) * _UNIT_MS[unit]
    return total


class Expiry(_Strict):
    """Courier's expiry: a message not sent by then ends ``UNDELIVERABLE``, reason
    ``EXPIRED``. ``expires_in`` counts from when the send is accepted, in milliseconds
    or as an ISO 8601 duration (``P1DT4H``); ``expires_at`` is a Unix time (seconds or
    milliseconds) or an ISO 8601 time with its zone. Given both, the earlier applies;
    either way at most 30 days (the longest message timeout) from the send."""

    expires_in: int | str | None = None
    expires_at: str | int | None = None

    # Checked by hand, before pydantic's union, whose errors would name both branches.
    @field_validator("expires_in", mode="before")
    @classmethod
    def _a_duration(cls, value: Any) -> Any:
        if value is None:
            return None
        _figure_or_short_text(value)
        figure = value if isinstance(value, int) else duration_ms(value)
        if isinstance(value, str) and figure is None and _digits(value):
            figure = int(value.strip())
        if figure is None:
            raise ValueError(
                "must be milliseconds, or an ISO 8601 duration of weeks, days, hours, minutes"
                " and seconds, like P1DT4H"
            )
        if not 0 < figure <= MAX_TIMEOUT_MS:
            raise ValueError(f"must be from 1 ms to {MAX_TIMEOUT_MS} ms (30 days)")
        return value

    @field_validator("expires_at", mode="before")
    @classmethod
    def _a_time(cls, value: Any) -> Any:
        if value is None:
            return None
        _figure_or_short_text(value)
        moment = _expiry_moment_ms(value)
        if moment is None:
            raise ValueError(
                "must be a Unix time (seconds or milliseconds) or an ISO 8601 time with its"
                " zone, like 2026-12-01T09:00:00Z"
            )
        now = time.time() * 1000
        if moment <= now:
            raise ValueError("is in the past")
        if moment > now + MAX_TIMEOUT_MS:
            raise ValueError("is more than 30 days away, the longest a message may wait")
        return value

    @model_validator(mode="after")
    def _one_at_least(self) -> Expiry:
        if self.expires_in is None and self.expires_at is None:
            raise ValueError("give expires_in, expires_at or both")
        return self

    def expires_ms(self, accepted_ms: int) -> int:
        """When the message expires, for a send accepted at ``accepted_ms``."""
        candidates = []
        if self.expires_in is not None:
            given = self.expires_in
            figure = given if isinstance(given, int) else duration_ms(given)
            candidates.append(accepted_ms + (figure if figure is not None else int(given)))
        if self.expires_at is not None and (moment := _expiry_moment_ms(self.expires_at)):
            candidates.append(moment)
        return min(min(candidates), accepted_ms + MAX_TIMEOUT_MS)


def _figure_or_short_text(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a number or a string")
    if isinstance(value, str) and len(value) > MAX_EXPIRY_CHARS:
        raise ValueError(f"is {len(value)} characters long; the most is {MAX_EXPIRY_CHARS}")


def _digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` takes superscripts and other scripts' digits."""
    return bool(text.strip()) and text.strip().isascii() and text.strip().isdigit()


def _expiry_moment_ms(value: str | int) -> int | None:
    text = str(value).strip()
    if _digits(text) and len(text) <= 16:
        figure = int(text)
        return figure if figure >= _EPOCH_MS_FROM else figure * 1000
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return None if moment.tzinfo is None else int(moment.timestamp() * 1000)


def _moment(until: str, timezone: str | None) -> datetime.datetime | None:
    """``until`` as a time, by its own offset, else in ``timezone``; None if neither."""
    moment = datetime.datetime.fromisoformat(until.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        if timezone is None:
            return None
        moment = moment.replace(tzinfo=_zone(timezone))
    return moment


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name[:64]!r} is not an IANA time zone, like America/Los_Angeles or UTC"
        ) from exc


class Metadata(_Strict):
    # Courier's own correlation id, stored and searchable (GET /messages?traceId=).
    trace_id: str | None = Field(default=None, min_length=1, max_length=128)
    # Searchable too (GET /messages?tag=): at most 9, of at most 30 characters, as in Courier.
    tags: list[Annotated[str, Field(min_length=1, max_length=MAX_TAG_CHARS)]] = Field(
        default_factory=list, max_length=MAX_TAGS
    )
    event: str | None = Field(default=None, min_length=1, max_length=256)
    utm: Utm | None = None


class MessageContext(_Strict):
    """Courier's ``context``: the tenant a message is sent on behalf of."""

    tenant_id: str | None = None

    _tenant_id = field_validator("tenant_id")(classmethod(lambda cls, v: check_identifier(v)))


class Message(_Strict):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_to_accepts_one_or_many
    )

    # One recipient or a list of them; held as a list either way.
    to: Annotated[list[Recipient], Field(min_length=1, max_length=MAX_RECIPIENTS)]
    content: Content | ElementalContent | None = None
    template: str | None = None  # a stored template's id, instead of content
    data: dict[str, Any] = Field(default_factory=dict)
    routing: Routing | None = None
    # By channel name, Courier's (direct_message) or Herald's (chat).
    channels: dict[Annotated[str, Field(max_length=64)], ChannelSettings] | None = None
    providers: dict[Annotated[str, Field(max_length=64)], ProviderSettings] | None = None
    metadata: Metadata | None = None
    preferences: Preferences | None = None
    brand_id: str | None = None
    timeout: Timeout | None = None
    delay: Delay | None = None
    expiry: Expiry | None = None
    context: MessageContext | None = None

    _template = field_validator("template")(classmethod(lambda cls, v: check_identifier(v)))
    _brand = field_validator("brand_id")(classmethod(lambda cls, v: check_identifier(v)))

    @field_validator("content", mode="before")
    @classmethod
    def _content_kind(cls, value: Any) -> Any:
        return content_of(value)

    @model_validator(mode="after")
    def _content_or_template(self) -> Message:
        if (self.content is None) == (self.template is None):
            raise ValueError("give either content or a template, not both and not neither")
        return self

    @field_validator("channels")
    @classmethod
    def _channel_names(
        cls, channels: dict[str, ChannelSettings] | None
    ) -> dict[str, ChannelSettings] | None:
        if channels is None:
            return None
        by_channel: dict[str, ChannelSettings] = {}
        for name, settings in channels.items():
            if name in PROVIDER_CHANNELS and name not in COURIER_CHANNEL_NAMES:
                raise ValueError(
                    f"{name!r} is a provider, not a channel: give its settings in"
                    f" providers.{name}, or pin it in"
                    f" channels.{COURIER_CHANNEL[PROVIDER_CHANNELS[name]]}.providers"
                )
            channel = channel_named(name)
            if channel in by_channel:
                raise ValueError(f"names the channel {channel} twice ({name!r} is an alias)")
            for provider in settings.providers or ():
                if PROVIDER_CHANNELS[provider] != channel:
                    raise ValueError(
                        f"{name}: provider {provider!r} serves {PROVIDER_CHANNELS[provider]},"
                        f" not {channel}"
                    )
            if settings.override is not None:
                try:
                    settings.override.check_for(channel)
                except ValueError as exc:
                    raise ValueError(f"{name}.override.{exc}") from exc
            by_channel[channel] = settings
        return by_channel

    @field_validator("providers")
    @classmethod
    def _provider_names(
        cls, providers: dict[str, ProviderSettings] | None
    ) -> dict[str, ProviderSettings] | None:
        for name, settings in (providers or {}).items():
            _known_provider(name)
            body = settings.override.body if settings.override else None
            if body is not None:
                try:
                    body.check_for(PROVIDER_CHANNELS[name])
                except ValueError as exc:
                    raise ValueError(f"{name}.override.body.{exc}") from exc
        return providers

    @model_validator(mode="after")
    def _routed_providers_agree(self) -> Message:
        named = self.routing.providers_named() if self.routing else {}
        for channel, providers in named.items():
            if self.routing is not None and channel in self.routing.leaves():
                raise ValueError(
                    f"routing names both the {channel} channel and its provider"
                    f" {providers[0]!r}: name one, or order them in"
                    f" channels.{channel}.providers"
                )
            chosen = ((self.channels or {}).get(channel) or ChannelSettings()).providers
            if chosen is not None and (stray := [p for p in providers if p not in chosen]):
                raise ValueError(
                    f"routing names provider {stray[0]!r}, which the {channel} channel's"
                    f" providers ({', '.join(chosen)}) leave out"
                )
        return self

    def channel_settings(self) -> dict[str, dict[str, Any]]:
        """``channels`` by Herald's channel, with the providers that routing names pinned."""
        settings = {
            channel: given.model_dump(mode="json", exclude_none=True)
            for channel, given in (self.channels or {}).items()
        }
        for channel, providers in (self.routing.providers_named() if self.routing else {}).items():
            settings.setdefault(channel, {"routing_method": "single"})
            settings[channel].setdefault("providers", providers)
        return settings

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("data")
    @classmethod
    def _storable_data(cls, data: dict[str, Any]) -> dict[str, Any]:
        storable(data)
        return data

    def recipients(self) -> list[Recipient]:
        return self.to


class SendRequest(_Strict):
    message: Message
