"""A message's state as stored: the single source of truth for its status."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from herald.domain.automation import AutomationRun
from herald.domain.digest import DigestState
from herald.domain.status import MessageStatus


class ChannelOutcome(StrEnum):
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"


class DeliveryResult(BaseModel):
    """What one channel's delivery came to."""

    channel: str
    provider: str
    outcome: ChannelOutcome
    at_ms: int
    reference: str | None = None
    reason: str | None = None
    error: str | None = None


class FanOut(BaseModel):
    """A send to a list, or to more recipients than one request writes at once.

    The message holding it is expanded by the render stage, a chunk per
    transaction, each subscriber or recipient getting a message of its own.
    """

    list_id: str | None = None
    tenant_id: str | None = None  # the tenant's users, instead of a list's subscribers
    audience_id: str | None = None  # the profiles an audience's filter matches
    bulk_job_id: str | None = None  # the users added to a bulk job
    # The audience's filter as it was when its first chunk was expanded.
    audience_filter: dict[str, Any] | None = None
    # The most messages it may make (an audience is not counted at accept: its
    # members are known only by reading the profiles).
    limit: int | None = None
    recipients: list[dict[str, Any]] = Field(default_factory=list)  # inline, when no list
    data: dict[str, Any] = Field(default_factory=dict)  # the list recipient's own data
    cursor: str | None = None  # the last subscription id (or recipient index) expanded
    created: int = 0
    done: bool = False


class MessageState(BaseModel):
    id: str
    workspace: str
    request_id: str
    status: MessageStatus = MessageStatus.ENQUEUED
    seq: int = 0
    recipient: dict[str, Any]
    content: dict[str, Any]
    data: dict[str, Any] = Field(default_factory=dict)
    routing: dict[str, Any] | None = None
    enqueued_ms: int
    routed_ms: int | None = None
    sent_ms: int | None = None
    delivered_ms: int | None = None
    reason: str | None = None
    error: str | None = None
    channels: list[str] = Field(default_factory=list)
    routing_method: str = "single"
    rendered: dict[str, dict[str, Any]] = Field(default_factory=dict)
    results: list[DeliveryResult] = Field(default_factory=list)
    updated_ms: int | None = None  # the last transition's commit: what the sweeper looks at
    traceparent: str | None = None  # the root of this message's trace
    trace_id: str | None = None  # Courier's metadata.trace_id, the caller's own id
    # Courier's timeout (ms): message; channel and provider, one figure or one per name.
    timeout: dict[str, Any] | None = None
    not_before_ms: int | None = None  # Courier's delay: not routed before this
    expires_ms: int | None = None  # Courier's expiry: not sent from this time on
    tags: list[str] = Field(default_factory=list)  # Courier's metadata.tags
    event: str | None = None  # Courier's metadata.event
    utm: dict[str, str] | None = None  # Courier's metadata.utm, added to email HTML links
    template: str | None = None  # the stored template (Courier's "notification")
    brand_id: str | None = None
    tenant_id: str | None = None  # Courier's context.tenant_id
    subscription_topic_id: str | None = None  # Courier's preferences.subscription_topic_id
    # Courier's per-channel and per-provider overrides, as sent.
    channel_overrides: dict[str, Any] | None = None
    provider_overrides: dict[str, Any] | None = None
    canceled_ms: int | None = None
    opened_ms: int | None = None  # the first time only, as Courier's ``opened``
    clicked_ms: int | None = None  # the first time only, as Courier's ``clicked``
    fanout: FanOut | None = None
    # An automation run's own record: its steps and their state (the run is no message to
    # anyone, and is not listed; what its send steps make are).
    automation: AutomationRun | None = None
    automation_run_id: str | None = None  # the run whose send step made this message
    # A digest's own record (its open window's items; not listed), and on a digest's
    # release, the record that released it.
    digest: DigestState | None = None
    digest_id: str | None = None
    # Collected into a digest (DIGESTED) and not yet taken by the digest's record: what
    # the sweeper looks for when the collection's push was lost for good.
    awaiting_digest: bool | None = None
    resent_from: str | None = None  # the message this one resends (``POST .../resend``)
    # The routing tree that was planned, with only the channels the recipient can be
    # reached on: {"method": "single"|"all", "channels": [channel or tree, ...]}.
    route: dict[str, Any] | None = None

    @property
    def listed(self) -> bool:
        """Whether ``GET /messages`` lists it: a list send's or a run's own record is not."""
        return self.fanout is None and self.automation is None and self.digest is None

    def recipient_label(self) -> str:
        """Courier's ``recipient`` string: the best address we know."""
        if self.fanout is not None:
            if self.fanout.tenant_id:
                return f"tenant:{self.fanout.tenant_id}"
            if self.fanout.audience_id:
                return f"audience:{self.fanout.audience_id}"
            if self.fanout.bulk_job_id:
                return f"bulk:{self.fanout.bulk_job_id}"
            return f"list:{self.fanout.list_id}" if self.fanout.list_id else "recipients"
        for field in ("email", "phone_number"):
            if value := self.recipient.get(field):
                return str(value)
        if token := self.recipient.get("firebaseToken"):
            return f"fcm:{str(token)[:12]}…"
        if slack := self.recipient.get("slack"):
            if webhook := slack.get("incoming_webhook"):
                return str(webhook["url"])
            target = slack.get("channel") or slack.get("user_id") or slack.get("email")
            return f"slack:{target}"
        if teams := self.recipient.get("ms_teams"):
            target = teams.get("conversation_id") or teams.get("user_id") or teams.get("channel_id")
            return f"msteams:{target}"
        webhook = self.recipient.get("webhook") or {}
        if url := webhook.get("url"):
            return str(url)
        return str(self.recipient.get("user_id", ""))


class RequestRecord(BaseModel):
    id: str
    workspace: str
    message_ids: list[str]
    received_ms: int
