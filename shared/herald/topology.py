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

    @property
    def source(self) -> str:
        return f"functions/{self.name}/main.py"

    @property
    def signature_type(self) -> str:
        return "http" if self.trigger in (Trigger.HTTP, Trigger.SCHEDULE) else "cloudevent"

    def subscriptions(self) -> list[EventSpec]:
        return [spec for spec in EVENTS if self.name in spec.consumers]


# The relay fires when an outbox record (one of a message's events) is created.
# Only creates: the published mark and TTL deletes then cost no invocation.
OUTBOX_DOCUMENT_PATTERN = "workspaces/{workspace}/messages/{message}/events/{seq}"
RELAY_EVENT_TYPE = "google.cloud.firestore.document.v1.created"
RELAY_TRIGGER_ID = "relay-outbox"

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "api",
        Trigger.HTTP,
        "POST /send, the messages API and provider callbacks",
        ("cryptography",),
    ),
    FunctionSpec(
        "relay",
        Trigger.FIRESTORE,
        "publishes each new outbox record to its topic",
        ("google-cloud-pubsub", "google-events"),
    ),
    FunctionSpec("render", Trigger.PUBSUB, "routes a message and renders it per channel"),
    FunctionSpec("deliver", Trigger.PUBSUB, "hands a rendered message to its providers"),
    FunctionSpec("log", Trigger.PUBSUB, "keeps the message summaries the list API reads"),
    FunctionSpec(
        "sweep",
        Trigger.SCHEDULE,
        "republishes dropped events, re-drives stuck messages",
        ("google-cloud-pubsub",),
    ),
)


def function(name: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.name == name)
