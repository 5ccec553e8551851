"""Herald's functions and how each is triggered: the shape every environment wires."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from herald.events.registry import EVENTS, EventSpec


class Trigger(StrEnum):
    HTTP = "http"  # public HTTPS
    FIRESTORE = "firestore"  # Eventarc, on writes to the outbox
    PUBSUB = "pubsub"  # push subscriptions, one per consumed event type
    SCHEDULE = "schedule"  # HTTPS, called by Cloud Scheduler (locally, a timer)


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    trigger: Trigger
    description: str
    # Distributions this function imports beyond what every function does (see packaging).
    extra_requirements: tuple[str, ...] = ()
    # Credentials it may read (``NAME`` or ``NAME_FILE``): Secret Manager secrets in the cloud.
    secrets: tuple[str, ...] = ()
    # Whether it reads the dead-letter subscriptions and publishes their events again (the
    # console's redrive): subscriber rights on them, and ``publishes``.
    redrives: bool = False

    @property
    def source(self) -> str:
        return f"functions/{self.name}/main.py"

    @property
    def entry_point(self) -> str:
        return "handle"

    @property
    def publishes(self) -> bool:
        """Whether it publishes events itself (and so needs publish rights on the topics)."""
        return "google-cloud-pubsub" in self.extra_requirements

    @property
    def signature_type(self) -> str:
        return "http" if self.trigger in (Trigger.HTTP, Trigger.SCHEDULE) else "cloudevent"

    def subscriptions(self) -> list[EventSpec]:
        return [spec for spec in EVENTS if self.name in spec.consumers]


# The relay fires when an outbox record (one of a message's events) is created.
# Only creates: the published mark and TTL deletes then cost no invocation.
OUTBOX_COLLECTION = "events"
OUTBOX_DOCUMENT_PATTERN = (
    f"workspaces/{{workspace}}/messages/{{message}}/{OUTBOX_COLLECTION}/{{seq}}"
)
RELAY_EVENT_TYPE = "google.cloud.firestore.document.v1.created"
RELAY_TRIGGER_ID = "relay-outbox"

# Every provider credential the factory and the settings read through ``secret()``.
PROVIDER_SECRETS = (
    "HERALD_SMTP_PASSWORD",
    "SENDGRID_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "HERALD_FCM_ACCESS_TOKEN",
    "MSTEAMS_APP_ID",
    "MSTEAMS_APP_PASSWORD",
    "HERALD_WEBHOOK_SIGNING_SECRET",
)
# Signs the links in emails (unsubscribe, preferences, tracking): render writes them,
# the api checks them.
LINK_SECRETS = ("HERALD_LINK_SECRET",)
# What the api checks providers' callbacks with (SendGrid's verification key, Twilio's token).
CALLBACK_SECRETS = ("HERALD_SENDGRID_WEBHOOK_PUBLIC_KEY", "TWILIO_AUTH_TOKEN")
# Signs the user tokens the api issues and checks (the inbox's JWTs).
USER_TOKEN_SECRETS = ("HERALD_USER_TOKEN_SECRET",)
# Herald's own HTML (herald.markup): the api's pages, render's email layout.
HTML_TEMPLATES = ("jinja2", "markupsafe")
# What checking a send needs (the api's and automate's) and rendering it (render's):
# phone numbers to E.164, and Elemental's html element sanitised.
SEND_CONTENT = ("phonenumbers", "nh3")
# Babel: the api reads .po files with it, and every function that renders a template
# (the api's previews, render's messages, automate's conditions) writes numbers and
# dates by locale with it.
LOCALES = ("babel",)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "api",
        Trigger.HTTP,
        "POST /send, the messages API, provider callbacks and the console",
        # Pub/Sub: the console's dead letters (imported only when they are looked at).
        (
            "cryptography",
            *LOCALES,
            "jsonpatch",
            *HTML_TEMPLATES,
            *SEND_CONTENT,
            "PyJWT",
            "graphql-core",
            "google-cloud-pubsub",
        ),
        secrets=LINK_SECRETS + CALLBACK_SECRETS + USER_TOKEN_SECRETS,
        redrives=True,
    ),
    FunctionSpec(
        "relay",
        Trigger.FIRESTORE,
        "publishes each new outbox record to its topic",
        ("google-cloud-pubsub", "google-events"),
    ),
    FunctionSpec(
        "render",
        Trigger.PUBSUB,
        "routes a message and renders it per channel",
        # cryptography seals the tokens of email links
        ("cryptography", *HTML_TEMPLATES, *SEND_CONTENT, *LOCALES),
        secrets=LINK_SECRETS,
    ),
    FunctionSpec(
        "deliver",
        Trigger.PUBSUB,
        "hands a rendered message to its providers",
        secrets=PROVIDER_SECRETS,
    ),
    FunctionSpec(
        "webhooks", Trigger.PUBSUB, "posts message:updated to customers' webhook endpoints"
    ),
    FunctionSpec(
        "automate",
        Trigger.PUBSUB,
        "runs each step of an automation, once",
        (*SEND_CONTENT, *LOCALES),
    ),
    FunctionSpec(
        "digest", Trigger.PUBSUB, "collects sends to digest topics, releases each window once"
    ),
    FunctionSpec(
        "sweep",
        Trigger.SCHEDULE,
        "republishes dropped events, re-drives stuck messages",
        ("google-cloud-pubsub",),
    ),
)


def function(name: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.name == name)
