"""Who a message reaches and whether they want it: profiles, lists, topics, preferences.

Courier's shapes and names. A workspace defines subscription topics with a
default status; a user may opt in or out of a topic (never out of a REQUIRED
one) and choose the channels it reaches them on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.domain.catalog import COURIER_CHANNEL
from herald.domain.digest import TopicDigest

PreferenceStatus = Literal["OPTED_IN", "OPTED_OUT", "REQUIRED"]

# Courier's channel classification <-> Herald's channels.
HERALD_CHANNEL = {courier: herald for herald, courier in COURIER_CHANNEL.items()}
CourierChannel = Literal["direct_message", "email", "push", "sms", "webhook"]

# What a stored profile may hold beyond the addresses: anything the caller keeps there.
PROFILE_MAX_BYTES = 64 * 1024


# A topic's name, description and metadata (Courier's ``topic_data``), at most.
MAX_TOPIC_NAME = 200
MAX_TOPIC_DESCRIPTION = 1000
MAX_TOPIC_DATA = 8 * 1024
# What Courier's hosted preferences page may let a user change about a topic.
AllowedPreference = Literal["snooze", "channel_preferences"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubscriptionTopic(_Strict):
    """A workspace's topic: what a message's ``preferences.subscription_topic_id`` names."""

    topic_id: str
    topic_name: str = Field(default="", max_length=MAX_TOPIC_NAME)
    default_status: PreferenceStatus = "OPTED_IN"
    # Channels the topic may use at all; empty means any (Courier's ``routing_options``).
    allowed_channels: list[CourierChannel] = Field(default_factory=list)
    # Sends to the topic collected per user and released as one message (domain/digest.py).
    digest: TopicDigest | None = None
    # Courier's workspace preferences: the section that groups the topic, and what its
    # hosted page shows and lets a user change.
    section_id: str | None = None
    description: str | None = Field(default=None, max_length=MAX_TOPIC_DESCRIPTION)
    allowed_preferences: list[AllowedPreference] = Field(default_factory=list)
    include_unsubscribe_header: bool = False
    topic_data: dict[str, Any] = Field(default_factory=dict)
    created: int | None = None  # epoch ms
    updated: int | None = None

    @field_validator("allowed_channels", "allowed_preferences")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("lists a value twice")
        return values

    @field_validator("topic_data")
    @classmethod
    def bounded_data(cls, data: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(data, separators=(",", ":"))) > MAX_TOPIC_DATA:
            raise ValueError(f"is larger than {MAX_TOPIC_DATA} bytes of JSON")
        return data


class UserTopicChoice(_Strict):
    """A user's own choice for one topic (Courier's ``topic`` of the preferences API)."""

    status: PreferenceStatus
    has_custom_routing: bool = False
    custom_routing: list[CourierChannel] = Field(default_factory=list)
    # One of the topic's digest schedules (an ``instant`` one: each send at once).
    digest_schedule_id: str | None = None

    @field_validator("custom_routing", mode="before")
    @classmethod
    def _null_is_none(cls, channels: Any) -> Any:
        return [] if channels is None else channels  # Courier's SDK sends null

    @field_validator("custom_routing")
    @classmethod
    def _unique(cls, channels: list[str]) -> list[str]:
        if len(set(channels)) != len(channels):
            raise ValueError("lists a channel twice")
        return channels


@dataclass(frozen=True)
class PreferenceDecision:
    allowed: bool
    channels: list[str] | None  # Herald channels the message may use; None = any
    reason: str | None = None  # Courier's reason, when not allowed


def decide(
    topic: SubscriptionTopic | None,
    choice: UserTopicChoice | None,
    tenant_default: UserTopicChoice | None = None,
) -> PreferenceDecision:
    """Whether a message of ``topic`` may reach a user who made ``choice``.

    A REQUIRED topic cannot be opted out of; a user's own choice wins over their
    tenant's default, which wins over the topic's. A user's custom routing (else
    the tenant default's), then the topic's allowed channels, narrow the channels.
    """
    default = topic.default_status if topic else "OPTED_IN"
    if default != "REQUIRED" and tenant_default is not None:
        default = tenant_default.status
    status = default if default == "REQUIRED" or choice is None else choice.status
    if status == "OPTED_OUT":
        reason = "OPT_IN_REQUIRED" if choice is None else "UNSUBSCRIBED"
        return PreferenceDecision(False, None, reason)
    channels: set[str] | None = None
    if topic and topic.allowed_channels:
        channels = {HERALD_CHANNEL[c] for c in topic.allowed_channels}
    routing = choice if choice and choice.has_custom_routing else tenant_default
    if routing and routing.has_custom_routing and routing.custom_routing:
        chosen = {HERALD_CHANNEL[c] for c in routing.custom_routing}
        channels = chosen if channels is None else channels & chosen
    return PreferenceDecision(True, sorted(channels) if channels is not None else None)


def topic_view(
    topic_id: str, topic: SubscriptionTopic | None, choice: UserTopicChoice | None
) -> dict[str, Any]:
    """Courier's ``TopicPreference``."""
    default = topic.default_status if topic else "OPTED_IN"
    status = default if default == "REQUIRED" or choice is None else choice.status
    view: dict[str, Any] = {
        "topic_id": topic_id,
        "topic_name": topic.topic_name if topic else topic_id,
        "default_status": default,
        "status": status,
        "has_custom_routing": bool(choice and choice.has_custom_routing),
    }
    if choice and choice.has_custom_routing:
        view["custom_routing"] = list(choice.custom_routing)
    chosen = choice.digest_schedule_id if choice else None
    if chosen and topic and topic.digest and chosen in topic.digest.active_ids():
        view["digest_schedule_id"] = chosen
    return view


def address_key(address: str) -> str:
    # An address is a document id: lower-cased, and "/" (legal in a local part) escaped,
    # and so is the "_" of one Firestore reserves (__x__), which no stored key can be.
    key = quote(address.strip().lower(), safe="@+.-_!#$&'*=?^`{|}~")
    return "%5F" + key[1:] if key.startswith("__") and key.endswith("__") else key
