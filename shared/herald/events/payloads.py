"""Payload models of every event. Changing one is changing a contract."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MessageEnqueued(_Payload):
    recipient: str
    trace_id: str | None = None  # Courier's metadata.trace_id
    tags: list[str] = Field(default_factory=list)  # Courier's metadata.tags
    template: str | None = None  # the stored template sent (Courier's "notification")
    event: str | None = None  # Courier's metadata.event, when the send gave one
    tenant_id: str | None = None  # the tenant it was sent for (context or to.tenant_id)
    fanout: bool = False  # a list send's own record, not a message to a recipient


class MessageDelayed(_Payload):
    until_ms: int


class MessageRouted(_Payload):
    method: str
    channels: list[str]


class MessageRendered(_Payload):
    channels: list[str]


class MessageUnroutable(_Payload):
    reason: str


class MessageSent(_Payload):
    channel: str
    provider: str
    reference: str | None = None
    outcome_unknown: bool = False


class MessageDelivered(_Payload):
    channel: str
    provider: str
    reference: str | None = None


class MessageUndeliverable(_Payload):
    reason: str
    error: str | None = None
    channel: str | None = None
    fanout: bool = False  # a list send's own record (its list is gone)


class MessageFannedOut(_Payload):
    """One chunk of a list send expanded: ``created`` messages, up to ``cursor``."""

    created: int
    cursor: str | None
    done: bool
    total: int


class MessageCanceled(_Payload):
    status: str  # what the message was when it was canceled
    fanout: bool = False  # a list send's own record: its fan-out stops where it is


class WebhookRetryDue(_Payload):
    endpoint_id: str
    delivery_id: str


class MessageOpened(_Payload):
    """The recipient opened it (a provider's open event or the tracking pixel)."""

    channel: str | None = None
    source: str  # who reported it: sendgrid, tracking, ...


class MessageClicked(_Payload):
    """The recipient followed one of its links."""

    channel: str | None = None
    source: str
    url: str | None = None


class MessageInboxChanged(_Payload):
    """The user changed the message in their inbox: read or unread, archived or not."""

    channel: str = "inbox"
    source: str  # who reported it: the inbox client ("inbox")


class MessageComplained(_Payload):
    """The recipient reported it as spam; the address is suppressed."""

    channel: str | None = None
    source: str
    detail: str | None = None


class MessageUnsubscribed(_Payload):
    """The recipient unsubscribed through it (a provider's unsubscribe, a reply STOP)."""

    channel: str | None = None
    source: str
    suppressed: bool  # whether the address itself is now suppressed


class AutomationInvoked(_Payload):
    """An automation run was accepted; its first step is due."""

    template_id: str | None = None
    steps: int


class AutomationStepDue(_Payload):
    """A run's step ``step`` is due, at ``not_before_ms`` if given (a delay's end)."""

    step: int
    not_before_ms: int | None = None


class DigestItemCollected(_Payload):
    """The message is collected into its recipient's digest of ``topic_id`` on
    ``schedule_id``, instead of being sent on its own."""

    topic_id: str
    schedule_id: str
    user_id: str


class DigestReleaseDue(_Payload):
    """A digest's window ``window`` is due for release at ``due_ms``."""

    window: int
    due_ms: int


class DigestReleased(_Payload):
    """A digest's window ``window`` was released as the message ``message_id``, holding
    ``count`` items."""

    window: int
    count: int
    message_id: str
    trigger: str  # "schedule", "count" or "api"
