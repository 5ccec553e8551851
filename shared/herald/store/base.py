"""The repository interfaces every backend implements.

A stage never writes a message and publishes as two steps: it returns a
``Transition`` (the new state plus the events it caused) and the repository
commits both, with a receipt of the event that caused it, in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator, model_validator

from herald.clock import now_ms
from herald.config import MAX_QUOTA_BURST, MAX_QUOTA_RATE
from herald.domain.digest import zone
from herald.domain.message import DeliveryResult, MessageState, RequestRecord
from herald.domain.send import DEFAULT_PHONE_REGION, phone_region_problem
from herald.domain.status import MessageStatus
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.registry import spec_for
from herald.ids import event_id_for
from herald.observability import tracing

RECEIPT_TTL_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Transition:
    message: MessageState
    events: Sequence[NewEvent]
    # New messages created in the same commit, each with its first events (a fan-out).
    children: Sequence[tuple[MessageState, Sequence[NewEvent]]] = ()


Decide = Callable[[MessageState], Transition | None]


def _event_traceparent(message: MessageState) -> str | None:
    """Events continue the message's trace: from the current span when it is in it."""
    current = tracing.current_traceparent()
    if current and tracing.trace_id_of(current) == tracing.trace_id_of(message.traceparent):
        return current
    return message.traceparent or current


def sequence_events(
    message: MessageState, events: Sequence[NewEvent]
) -> tuple[MessageState, list[EventEnvelope]]:
    """Numbers the events after the message's last one and returns the new state."""
    at = now_ms()
    traceparent = _event_traceparent(message)
    envelopes = []
    for offset, event in enumerate(events, start=1):
        spec = spec_for(event.type)
        seq = message.seq + offset
        envelopes.append(
            EventEnvelope(
                id=event_id_for(message.workspace, message.id, seq),
                type=spec.name,
                version=spec.version,
                workspace=message.workspace,
                message_id=message.id,
                request_id=message.request_id,
                seq=seq,
                occurred_ms=at,
                payload=event.payload.model_dump(mode="json"),
                traceparent=traceparent,
            )
        )
    stored = message.model_copy(update={"seq": message.seq + len(events), "updated_ms": at})
    return stored, envelopes


def request_stored_apart(
    request: RequestRecord, messages: Sequence[tuple[MessageState, Sequence[NewEvent]]]
) -> bool:
    """Whether a request needs a record of its own: a request of one message is tracked by
    its message, which has the request's id (as in Courier) and says all the record would."""
    return not (len(messages) == 1 and messages[0][0].id == request.id)


def request_of_one(message: MessageState) -> RequestRecord:
    """The record of a request of one message, from the message."""
    return RequestRecord(
        id=message.request_id,
        workspace=message.workspace,
        message_ids=[message.id],
        received_ms=message.enqueued_ms,
    )


def receipt_id(consumer: str, event_id: str) -> str:
    return f"{consumer}~{event_id}"


class MessageRepository(Protocol):
    def create_request(
        self, request: RequestRecord, messages: Sequence[tuple[MessageState, Sequence[NewEvent]]]
    ) -> None: ...

    def get_request(self, workspace: str, request_id: str) -> RequestRecord | None: ...

    def get_message(self, workspace: str, message_id: str) -> MessageState | None: ...

    def get_messages(self, workspace: str, message_ids: Sequence[str]) -> list[MessageState]:
        """The messages that exist, in the order asked, read together."""
        ...

    def history(self, workspace: str, message_id: str) -> list[EventEnvelope]: ...

    def transition(
        self, workspace: str, message_id: str, consumer: str, event_id: str, decide: Decide
    ) -> list[EventEnvelope] | None:
        """Applies ``decide`` once per (consumer, event id); None if nothing changed."""
        ...

    def mark_published(self, workspace: str, message_id: str, seq: int) -> None: ...

    def mark_digest_taken(self, workspace: str, message_id: str) -> None:
        """A digest item's collection was applied: it no longer ``awaiting_digest``. Its
        seq and ``updated_ms`` stay as they are (no transition)."""
        ...

    def record_ignored(self, ignored: IgnoredEvent) -> None:
        """Notes an event that arrived too late (or twice) to change anything."""
        ...

    def ignored(self, workspace: str, message_id: str) -> list[IgnoredEvent]: ...


class IgnoredEvent(BaseModel):
    """An event a consumer received after the message had moved past it."""

    workspace: str
    message_id: str
    consumer: str
    event_id: str
    event_type: str
    status: str  # the message's status when it arrived
    seen_ms: int

    @property
    def key(self) -> str:
        return receipt_id(self.consumer, self.event_id)  # a second copy overwrites the first


class SweepRepository(Protocol):
    """The sweeper's scans, across every workspace."""

    def unpublished_events(self, older_than_ms: int, limit: int) -> list[EventEnvelope]:
        """Outbox records created before ``older_than_ms`` and never marked published."""
        ...

    def stuck_messages(
        self, statuses: Sequence[str], older_than_ms: int, limit: int
    ) -> list[MessageState]:
        """Messages in one of ``statuses`` whose last transition is older than ``older_than_ms``."""
        ...

    def untaken_digest_items(self, older_than_ms: int, limit: int) -> list[MessageState]:
        """Messages collected into a digest before ``older_than_ms`` that no digest record
        has taken (``awaiting_digest``)."""
        ...


class ScheduledEvent(BaseModel):
    """An event to publish again at ``due_ms``: the durable timer's entry."""

    key: str
    workspace: str
    message_id: str
    due_ms: int
    envelope: EventEnvelope
    reason: str
    created_ms: int

    @classmethod
    def again(
        cls, envelope: EventEnvelope, due_ms: int, reason: str, prefix: str = ""
    ) -> ScheduledEvent:
        """``envelope`` back at ``due_ms``, under a key of its own: the sweep removes only
        the timer it fired, never a newer one for the same event."""
        return cls(
            key=f"{prefix}{envelope.seq}-{uuid.uuid4().hex[:12]}",
            workspace=envelope.workspace,
            message_id=envelope.message_id,
            due_ms=due_ms,
            envelope=envelope,
            reason=reason,
            created_ms=now_ms(),
        )


class TimerRepository(Protocol):
    """Due-time records, fired by the scheduled sweep (see pipeline/sweeping.py)."""

    def schedule(self, entry: ScheduledEvent) -> None:
        """Stores the entry; scheduling the same key again replaces it."""
        ...

    def due(self, now_ms: int, limit: int) -> list[ScheduledEvent]: ...

    def remove(self, entry: ScheduledEvent) -> None: ...

    def pending(self, workspace: str, message_id: str) -> bool:
        """Whether the message has a timer waiting: then it is not stuck, only waiting."""
        ...


class AttemptState(StrEnum):
    PREPARED = "PREPARED"  # recorded; nothing handed to the provider yet
    DISPATCHING = "DISPATCHING"  # the provider may have it: a retry is not blind
    DONE = "DONE"  # the result is known


class Attempt(BaseModel):
    id: str
    channel: str
    state: AttemptState = AttemptState.PREPARED
    tries: int = 0
    result: DeliveryResult | None = None
    last_error: str | None = None
    first_try_ms: int | None = None  # where the provider timeout counts from
    retry_at_ms: int | None = None  # not tried again before this (the backoff)
    updated_ms: int = 0
    # Who may work on it, until when: a duplicate delivery running at the same
    # time must not call the provider too.
    lease_owner: str = ""
    lease_until_ms: int = 0

    def release(self) -> None:
        self.lease_owner, self.lease_until_ms = "", 0


def take_lease(current: Attempt | None, new: Attempt, owner: str, lease_ms: int) -> Attempt:
    """The claim rule every backend applies atomically.

    A finished attempt is returned as it is. Otherwise the caller takes the lease
    (unless someone else holds a live one) and a try is counted, before anything
    can fail, so that no failure can make a delivery retry forever.
    """
    attempt = (current or new).model_copy(deep=True)
    if attempt.state == AttemptState.DONE:
        return attempt
    at = now_ms()
    if attempt.lease_owner not in ("", owner) and attempt.lease_until_ms > at:
        raise AttemptBusy(f"attempt {attempt.id} is leased to another delivery")
    attempt.lease_owner, attempt.lease_until_ms = owner, at + lease_ms
    attempt.tries += 1
    attempt.updated_ms = at
    return attempt


class AttemptBusy(Exception):
    """Another delivery of the same event holds the attempt: retry later."""


class AttemptRepository(Protocol):
    def claim(
        self,
        workspace: str,
        message_id: str,
        attempt_id: str,
        channel: str,
        owner: str,
        lease_ms: int,
    ) -> Attempt:
        """Applies ``take_lease`` atomically (creating the attempt if absent) and stores it."""
        ...

    def save(self, workspace: str, message_id: str, attempt: Attempt) -> None: ...

    def of_message(self, workspace: str, message_id: str) -> list[Attempt]:
        """The message's attempts (one per channel and provider; at most ``MAX_ATTEMPTS_READ``),
        oldest first."""
        ...


# A message has one attempt per channel's provider tried: a handful; this bounds a read.
MAX_ATTEMPTS_READ = 50


class MessageSummary(BaseModel):
    """The log's read view of a message, for listing and searching."""

    id: str
    workspace: str
    request_id: str
    status: MessageStatus
    # The sequence number of the event the status (and reason, error) came from.
    status_seq: int = 0
    recipient: str
    seq: int
    last_event: str
    enqueued_ms: int | None = None
    updated_ms: int
    trace_id: str | None = None
    tags: list[str] = Field(default_factory=list)  # Courier's metadata.tags
    template: str | None = None  # Courier's "notification"
    event: str | None = None  # Courier's metadata.event, when the send gave one
    tenant_id: str | None = None  # Courier's context.tenant_id, or the to.tenant_id fanned out
    sent_ms: int | None = None
    delivered_ms: int | None = None
    opened_ms: int | None = None
    clicked_ms: int | None = None
    reason: str | None = None
    error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _stamp_stored_status(cls, data: Any) -> Any:
        """A summary stored before ``status_seq`` existed was folded in sequence order:
        its status is that of its last event at the latest."""
        if isinstance(data, dict) and "status_seq" not in data:
            return {**data, "status_seq": data.get("seq", 0)}
        return data


@dataclass(frozen=True)
class PageMark:
    """Where a page of the list ended: its last summary's sort key."""

    enqueued_ms: int | None
    message_id: str


@dataclass(frozen=True)
class SummaryQuery:
    """A list query: every filter given must match (``statuses`` and ``tags``: any of them)."""

    request_id: str | None = None
    statuses: tuple[str, ...] = ()
    recipient: str | None = None
    trace_id: str | None = None
    template: str | None = None
    tenant_id: str | None = None
    tags: tuple[str, ...] = ()
    enqueued_after_ms: int | None = None  # strictly after
    enqueued_before_ms: int | None = None  # strictly before
    after: PageMark | None = None  # the previous page's end: newest first, so older than it
    limit: int = 50

    def filters(self) -> dict[str, str | tuple[str, ...]]:
        """The summary fields filtered on, with the wanted value(s), in index order."""
        given: dict[str, str | tuple[str, ...] | None] = {
            "request_id": self.request_id,
            "status": self.statuses,
            "recipient": self.recipient,
            "trace_id": self.trace_id,
            "template": self.template,
            "tenant_id": self.tenant_id,
            "tags": self.tags,
        }
        return {field: value for field, value in given.items() if value}

    def matches(self, summary: MessageSummary) -> bool:
        """The same filters in memory (the in-memory backend's query)."""
        for field, wanted in self.filters().items():
            value = getattr(summary, field)
            if field == "tags":
                if not set(value) & set(wanted):
                    return False
            elif value not in (wanted if isinstance(wanted, tuple) else (wanted,)):
                return False
        if (
            self.enqueued_after_ms is not None
            and (summary.enqueued_ms or 0) <= self.enqueued_after_ms
        ):
            return False
        if (
            self.enqueued_before_ms is not None
            and (summary.enqueued_ms or 0) >= self.enqueued_before_ms
        ):
            return False
        return self.after is None or sort_key(summary) < (
            self.after.enqueued_ms is not None,
            self.after.enqueued_ms or 0,
            self.after.message_id,
        )


def sort_key(summary: MessageSummary) -> tuple[bool, int, str]:
    """Newest first is this key descending; as Firestore orders, nulls come last."""
    return (summary.enqueued_ms is not None, summary.enqueued_ms or 0, summary.id)


class SummaryRepository(Protocol):
    def apply(
        self,
        workspace: str,
        message_id: str,
        merge: Callable[[MessageSummary | None], MessageSummary | None],
    ) -> bool:
        """Stores ``merge(current)`` atomically unless it returns None; True if written."""
        ...

    def list(self, workspace: str, query: SummaryQuery) -> list[MessageSummary]:
        """Up to ``query.limit`` matching summaries, newest first (ties: by id, descending)."""
        ...


class WorkspaceQuota(BaseModel):
    """A quota on a workspace's authenticated POSTs (``herald.resources.quotas``)."""

    rate: float = Field(gt=0, le=MAX_QUOTA_RATE)  # requests per second, sustained
    burst: int = Field(ge=1, le=MAX_QUOTA_BURST)  # requests at once, after a quiet spell


class WorkspaceSettings(BaseModel):
    # Per channel, the providers that serve this workspace, in failover order.
    providers: dict[str, list[str]] = Field(default_factory=dict)
    # Webhook destinations on private addresses (the workspace's own network) allowed.
    allow_private_destinations: bool = False
    # Open and click tracking in HTML email (a pixel, links through Herald).
    tracking: bool = False
    # Where a national phone number ("2025550125") is read as being: an ISO 3166 region.
    phone_region: str = DEFAULT_PHONE_REGION
    # The IANA zone of a digest whose schedule and user's profile name none; None: UTC.
    timezone: str | None = None
    # The operator's grant, the workspace's ceiling (``herald quota``); None: the
    # deployment's default quota (HERALD_QUOTA_RATE, HERALD_QUOTA_BURST).
    quota: WorkspaceQuota | None = None
    # The quota the workspace set itself through the API, at most the ceiling when set.
    own_quota: WorkspaceQuota | None = None

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, region: str) -> str:
        if problem := phone_region_problem(region):
            raise ValueError(problem)
        return region

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            zone(name)
        return name


class WorkspaceRepository(Protocol):
    def settings(self, workspace: str) -> WorkspaceSettings: ...

    def save_settings(self, workspace: str, settings: WorkspaceSettings) -> None: ...


class ApiKeyRecord(BaseModel):
    """A stored API key: never the key itself, only its hash and what identifies it."""

    key_hash: str
    workspace: str
    created_ms: int
    hint: str = ""  # the key's first characters, to tell keys apart; not enough to use it
    revoked_ms: int | None = None

    @property
    def key_id(self) -> str:
        """A short, non-secret id: the start of the hash, which reveals nothing of the key."""
        return key_id_of(self.key_hash)


def key_id_of(key_hash: str) -> str:
    return key_hash[:12]


class KeyRepository(Protocol):
    def workspace_for(self, key_hash: str) -> str | None:
        """The workspace of a key that exists and is not revoked."""
        ...

    def put(self, key_hash: str, workspace: str, hint: str = "") -> ApiKeyRecord: ...

    def list(self, workspace: str | None = None) -> list[ApiKeyRecord]:
        """Every key (of one workspace), oldest first."""
        ...

    def revoke(self, key_id: str) -> ApiKeyRecord | None:
        """Marks the key revoked (once); None when no key has that id."""
        ...
