"""The provider interface.

``send`` calls ``handoff`` immediately before the step after which the provider
may have the message (the SMTP DATA command, the HTTP request). A failure before
it is safe to retry; a failure after it without an answer is ambiguous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from herald.domain.message import ChannelOutcome


@dataclass(frozen=True)
class Dispatch:
    """Everything a provider needs for one attempt."""

    message_id: str
    attempt_key: str  # stable across retries of this attempt: an idempotency key
    recipient: dict[str, Any]
    rendered: dict[str, Any]
    # The workspace allows destinations on private addresses (its own network).
    allow_private: bool = False
    workspace: str = ""  # what provider callbacks are tied back to, with the message id
    # What the inbox keeps beside the content: when the send was accepted (its order in
    # the inbox, the same on every retry), Courier's metadata.tags and tenant.
    enqueued_ms: int = 0
    tags: tuple[str, ...] = ()
    tenant_id: str | None = None


@dataclass(frozen=True)
class Receipt:
    outcome: ChannelOutcome  # SENT (accepted) or DELIVERED (destination confirmed)
    reference: str | None = None


class Provider(Protocol):
    name: str
    channel: str

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt: ...
