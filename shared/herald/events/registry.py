"""Every event Herald emits, in one place.

The local stack's topics, push subscriptions and dead-letter topics are built
from this table, and so are the message history names the API shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from herald.events import payloads

TOPIC_PREFIX = "herald-"


@dataclass(frozen=True)
class EventSpec:
    name: str
    version: int
    payload: type[BaseModel]
    producer: str
    # None for history only (the list's summary is kept in the producer's commit): such
    # an event is stored apart from the outbox and never relayed.
    consumers: tuple[str, ...]
    history_type: str
    description: str
    # Other functions that emit it too (render ends a message UNDELIVERABLE on an opt-out).
    also_produced_by: tuple[str, ...] = ()

    @property
    def producers(self) -> tuple[str, ...]:
        return (self.producer, *self.also_produced_by)

    @property
    def history_only(self) -> bool:
        """Nothing consumes it: it is kept for the message's history and never published."""
        return not self.consumers

    @property
    def topic(self) -> str:
        return TOPIC_PREFIX + self.name.replace(".", "-")

    def subscription(self, consumer: str) -> str:
        return f"{self.topic}--{consumer}"

    def dead_letter_topic(self, consumer: str) -> str:
        return f"{self.subscription(consumer)}--dead-letter"


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "message.enqueued",
        1,
        payloads.MessageEnqueued,
        "api",
        ("render", "webhooks"),
        "ENQUEUED",
        "A send was accepted and stored for one recipient.",
    ),
    EventSpec(
        "message.delayed",
        1,
        payloads.MessageDelayed,
        "render",
        ("render",),
        "DELAYED",
        "The message waits for its delay; the durable timer brings this event back to render.",
    ),
    EventSpec(
        "message.fanned_out",
        1,
        payloads.MessageFannedOut,
        "render",
        ("render",),
        "FANNED_OUT",
        "A chunk of a list send became messages of their own; render takes the next chunk.",
    ),
    EventSpec(
        "message.routed",
        1,
        payloads.MessageRouted,
        "render",
        (),
        "ROUTED",
        "The channels the message goes out on were chosen.",
    ),
    EventSpec(
        "message.rendered",
        1,
        payloads.MessageRendered,
        "render",
        ("deliver",),
        "RENDERED",
        "The content was rendered for each chosen channel.",
    ),
    EventSpec(
        "message.unroutable",
        1,
        payloads.MessageUnroutable,
        "render",
        ("webhooks",),
        "UNROUTABLE",
        "No channel could carry the message.",
    ),
    EventSpec(
        "message.sent",
        1,
        payloads.MessageSent,
        "deliver",
        ("webhooks",),
        "SENT",
        "A provider accepted the message.",
    ),
    EventSpec(
        "message.delivered",
        1,
        payloads.MessageDelivered,
        "deliver",
        ("webhooks",),
        "DELIVERED",
        "The destination confirmed it received the message (a webhook's 2xx, a provider's "
        "delivery receipt).",
        also_produced_by=("api",),
    ),
    EventSpec(
        "message.undeliverable",
        1,
        payloads.MessageUndeliverable,
        "deliver",
        ("webhooks",),
        "UNDELIVERABLE",
        "The message could not be delivered; the reason says why.",
        also_produced_by=("render", "api"),
    ),
    EventSpec(
        "message.canceled",
        1,
        payloads.MessageCanceled,
        "api",
        ("webhooks",),
        "CANCELED",
        "The message was canceled through the API before it was sent.",
    ),
    EventSpec(
        "webhook.retry_due",
        1,
        payloads.WebhookRetryDue,
        "webhooks",
        ("webhooks",),
        "WEBHOOK_RETRY_DUE",
        "A customer webhook delivery's next try is due; the durable timer brings it back to"
        " webhooks alone (its own topic: the other consumers never see it).",
    ),
    EventSpec(
        "message.opened",
        1,
        payloads.MessageOpened,
        "api",
        ("webhooks",),
        "OPENED",
        "The recipient opened the message, the first time.",
    ),
    EventSpec(
        "message.clicked",
        1,
        payloads.MessageClicked,
        "api",
        ("webhooks",),
        "CLICKED",
        "The recipient followed one of the message's links, the first time.",
    ),
    EventSpec(
        "message.read",
        1,
        payloads.MessageInboxChanged,
        "api",
        ("webhooks",),
        "READ",
        "The user read the message in their inbox (or marked it read).",
    ),
    EventSpec(
        "message.unread",
        1,
        payloads.MessageInboxChanged,
        "api",
        ("webhooks",),
        "UNREAD",
        "The user marked the message unread in their inbox.",
    ),
    EventSpec(
        "message.archived",
        1,
        payloads.MessageInboxChanged,
        "api",
        ("webhooks",),
        "ARCHIVED",
        "The user archived the message in their inbox.",
    ),
    EventSpec(
        "message.unarchived",
        1,
        payloads.MessageInboxChanged,
        "api",
        ("webhooks",),
        "UNARCHIVED",
        "The user took the message out of their inbox's archive.",
    ),
    EventSpec(
        "message.complained",
        1,
        payloads.MessageComplained,
        "api",
        (),
        "COMPLAINED",
        "The recipient reported the message as spam; the address is suppressed.",
    ),
    EventSpec(
        "message.unsubscribed",
        1,
        payloads.MessageUnsubscribed,
        "api",
        (),
        "UNSUBSCRIBED",
        "The recipient unsubscribed through the message.",
    ),
    EventSpec(
        "automation.invoked",
        1,
        payloads.AutomationInvoked,
        "api",
        ("automate",),
        "AUTOMATION_INVOKED",
        "An automation run was accepted (ad hoc or from a stored automation); its first step"
        " is due.",
    ),
    EventSpec(
        "automation.step_due",
        1,
        payloads.AutomationStepDue,
        "automate",
        ("automate",),
        "AUTOMATION_STEP_DUE",
        "A run's next step is due; after a delay, the durable timer brings it back when the"
        " delay ends.",
    ),
    EventSpec(
        "digest.item_collected",
        1,
        payloads.DigestItemCollected,
        "render",
        ("digest",),
        "DIGESTED",
        "A send to a digest topic is collected into its recipient's digest instead of being"
        " sent; the message ends DIGESTED.",
    ),
    EventSpec(
        "digest.release_due",
        1,
        payloads.DigestReleaseDue,
        "digest",
        ("digest",),
        "DIGEST_RELEASE_DUE",
        "A digest's window opened; the durable timer brings this back when its schedule"
        " releases it.",
    ),
    EventSpec(
        "digest.released",
        1,
        payloads.DigestReleased,
        "digest",
        (),
        "DIGEST_RELEASED",
        "A digest's window was released as one message holding its items (history only).",
    ),
)

_BY_TYPE = {spec.name: spec for spec in EVENTS}


def spec_for(event_type: str) -> EventSpec:
    try:
        return _BY_TYPE[event_type]
    except KeyError:
        raise KeyError(f"unregistered event type {event_type!r}") from None


@dataclass(frozen=True)
class AttributeFilter:
    """A consumer's push subscriptions deliver only the events it admits; Pub/Sub acks the
    rest itself, so they cost the consumer nothing. In production it is the subscription's
    ``filter`` (Pub/Sub's filter language); the emulator ignores filters, so the consumer
    applies it again in code (and the local stack before the push, as Pub/Sub would).

    A message without the attribute is admitted: what published it knew nothing of it.
    """

    attribute: str
    refused: str  # the value that keeps an event from the consumer

    @property
    def expression(self) -> str:
        return f'attributes.{self.attribute} != "{self.refused}"'

    def admits(self, attributes: Mapping[str, str]) -> bool:
        return attributes.get(self.attribute) != self.refused


# Set by the relay on each event the webhooks observer consumes: "none" when the
# workspace has no endpoint that wants message events (services/customer_webhooks).
WEBHOOK_ENDPOINTS_ATTRIBUTE = "webhook_endpoints"
NO_ENDPOINTS = "none"
SOME_ENDPOINTS = "some"

# consumer -> the filter of every push subscription it has.
CONSUMER_FILTERS: dict[str, AttributeFilter] = {
    "webhooks": AttributeFilter(WEBHOOK_ENDPOINTS_ATTRIBUTE, NO_ENDPOINTS),
}


def subscription_filter(consumer: str) -> AttributeFilter | None:
    return CONSUMER_FILTERS.get(consumer)


# The versions of each event every consumer can handle: consumer -> event -> versions.
# When an event's version is bumped, both versions stay registered through the
# transition, and `herald schemas check` fails until each consumer of the new
# version declares it here (see herald_tools.schemagate.gate).
CONSUMER_VERSIONS: dict[str, dict[str, tuple[int, ...]]] = {
    "render": {
        "message.enqueued": (1,),
        "message.delayed": (1,),
        "message.fanned_out": (1,),
    },
    "deliver": {
        "message.rendered": (1,),
    },
    "webhooks": {
        "message.enqueued": (1,),
        "message.unroutable": (1,),
        "message.sent": (1,),
        "message.delivered": (1,),
        "message.undeliverable": (1,),
        "message.canceled": (1,),
        "message.opened": (1,),
        "message.clicked": (1,),
        "message.read": (1,),
        "message.unread": (1,),
        "message.archived": (1,),
        "message.unarchived": (1,),
        "webhook.retry_due": (1,),
    },
    "automate": {
        "automation.invoked": (1,),
        "automation.step_due": (1,),
    },
    "digest": {
        "digest.item_collected": (1,),
        "digest.release_due": (1,),
    },
}
