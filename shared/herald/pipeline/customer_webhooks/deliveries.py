"""One record per (event, endpoint): the body sent, its state and every attempt.

Stored under the endpoint (``webhook_endpoints/{id}/deliveries/{delivery}``), so
an endpoint's deliveries page without an index. The delivery id derives from
the consumer, the event id and the endpoint: a redelivered event finds the
record it made the first time (the dedupe), and it is the ``webhook-id`` the
endpoint sees on every try.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from herald.errors import NotFound
from herald.resources.webhook_endpoints import ENDPOINTS, endpoint_path
from herald.store.documents import DocPath, Document, DocumentStore

DELIVERIES = "deliveries"
CONSUMER = "webhooks"
KEPT_ATTEMPTS = 100  # the newest; a 3-day retry schedule makes about 80
KEPT_FOR = datetime.timedelta(days=30)  # then a TTL policy removes the delivery
# A try this early counts as due: the sweep that fired the timer and this function
# read different clocks, and a retry turned away as early would have no timer left.
EARLY_MS = 5_000
PAGE = 50


def delivery_id_for(event_id: str, endpoint_id: str) -> str:
    return "msg_" + hashlib.sha256(f"{CONSUMER}~{event_id}~{endpoint_id}".encode()).hexdigest()[:32]


def delivery_path(endpoint_id: str, delivery_id: str) -> DocPath:
    return (*endpoint_path(endpoint_id), DELIVERIES, delivery_id)


class DeliveryState(StrEnum):
    PENDING = "PENDING"  # a try is due at next_try_ms
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # given up: the horizon passed, the destination was refused, or disabled


class AttemptRecord(BaseModel):
    at_ms: int
    status: int | None  # the endpoint's HTTP status; None when no answer came
    error: str | None = None
    duration_ms: int = 0
    replay: bool = False  # asked for through the API


class Delivery(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str  # Herald's event (message.sent, ...) behind this message:updated
    message_id: str
    request_id: str
    seq: int
    traceparent: str | None = None
    body: str  # the exact bytes signed and sent, on every try
    state: DeliveryState = DeliveryState.PENDING
    attempts: list[AttemptRecord] = Field(default_factory=list)
    tries: int = 0  # every try made, replays included; ``attempts`` keeps the newest
    first_try_ms: int | None = None  # where the 3-day horizon counts from
    next_try_ms: int | None = None
    failure: str | None = None
    created_ms: int
    expires_at: datetime.datetime | None = None  # the TTL policy's field; set when created
    # A try in flight: a duplicate delivery of the event does not post twice.
    lease_until_ms: int = 0

    def view(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json", exclude={"body", "lease_until_ms", "traceparent", "seq", "expires_at"}
        )


class DeliveryBusy(Exception):
    """Another invocation is trying this delivery right now: retry later."""


class Deliveries:
    def __init__(self, documents: DocumentStore, lease_ms: int = 30_000) -> None:
        self.documents = documents
        self.lease_ms = lease_ms

    def create_once(self, workspace: str, delivery: Delivery) -> Delivery:
        """Stores ``delivery`` unless its id is there already; returns what is stored."""

        expires = datetime.datetime.fromtimestamp(delivery.created_ms / 1000, tz=datetime.UTC)
        new = delivery.model_copy(update={"expires_at": expires + KEPT_FOR})

        def created(current: Document | None) -> Document | None:
            return None if current is not None else new.model_dump()

        stored = self.documents.update(
            workspace, delivery_path(delivery.endpoint_id, delivery.id), created
        )
        return Delivery.model_validate(stored)

    def get(self, workspace: str, endpoint_id: str, delivery_id: str) -> Delivery:
        stored = self.documents.get(workspace, delivery_path(endpoint_id, delivery_id))
        if stored is None:
            raise NotFound(f"no delivery {delivery_id} for webhook endpoint {endpoint_id}")
        return Delivery.model_validate(stored)

    def claim(
        self, workspace: str, endpoint_id: str, delivery_id: str, now_ms: int, replay: bool = False
    ) -> Delivery | None:
        """Takes the lease of a delivery whose try is due (any delivery, for a replay).

        None when there is nothing to do: gone, finished, or not due yet. Raises
        ``DeliveryBusy`` when another invocation holds a live lease.
        """
        busy = claimed = False

        def leased(current: Document | None) -> Document | None:
            nonlocal busy, claimed
            busy = claimed = False  # a transaction may run this more than once
            if current is None:
                return None
            delivery = Delivery.model_validate(current)
            if delivery.lease_until_ms > now_ms:
                busy = True
                return None
            due = (
                delivery.state == DeliveryState.PENDING
                and (delivery.next_try_ms or 0) <= now_ms + EARLY_MS
            )
            if not (due or replay):
                return None
            claimed = True
            return {**current, "lease_until_ms": now_ms + self.lease_ms}

        stored = self.documents.update(workspace, delivery_path(endpoint_id, delivery_id), leased)
        if busy:
            raise DeliveryBusy(f"delivery {delivery_id} is being tried")
        if not claimed or stored is None:
            return None
        return Delivery.model_validate(stored)

    def save(self, workspace: str, delivery: Delivery) -> None:
        """Stores the outcome of a try and lets go of the lease."""
        delivery.attempts = delivery.attempts[-KEPT_ATTEMPTS:]
        delivery.lease_until_ms = 0
        self.documents.put(
            workspace, delivery_path(delivery.endpoint_id, delivery.id), delivery.model_dump()
        )

    def of_events(
        self, workspace: str, endpoint_ids: Sequence[str], event_ids: Sequence[str]
    ) -> list[Delivery]:
        """The deliveries made of these events (a message's history) to these endpoints,
        oldest first: their ids derive from both, so this is one batch of gets, no query."""
        paths = [
            delivery_path(endpoint_id, delivery_id_for(event_id, endpoint_id))
            for event_id in event_ids
            for endpoint_id in endpoint_ids
        ]
        found = self.documents.get_many(workspace, paths) if paths else []
        deliveries = [Delivery.model_validate(doc) for doc in found if doc is not None]
        return sorted(deliveries, key=lambda d: (d.seq, d.created_ms, d.endpoint_id))

    def page(
        self, workspace: str, endpoint_id: str, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        collection = (ENDPOINTS, endpoint_id, DELIVERIES)
        found = self.documents.page(workspace, collection, cursor, PAGE + 1)
        deliveries = [Delivery.model_validate(doc) for _, doc in found[:PAGE]]
        return deliveries, (deliveries[-1].id if len(found) > PAGE else None)
