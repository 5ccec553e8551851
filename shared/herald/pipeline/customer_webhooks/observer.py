"""The ``webhooks`` function's service: message events in, signed POSTs out.

A message event becomes one ``message:updated`` body (the message as
``GET /messages/{id}`` shows it) and one delivery per subscribed, enabled
endpoint of the workspace. The first try happens in the push that brought the
event; a failed try is not retried by raising (Pub/Sub keeps a message about a
day, and one slow endpoint would slow the shared subscription) but through the
durable timer: it schedules a ``webhook.retry_due`` event, which the sweep
publishes when due on its own topic, consumed by this function alone.
"""

from __future__ import annotations

import json
import time

from herald.clock import now_ms
from herald.config import DEFAULT_MAX_WEBHOOK_ENDPOINTS
from herald.domain.backoff import Backoff
from herald.domain.message import MessageState
from herald.domain.views import MessageView
from herald.errors import NotFound, ValidationFailed
from herald.events.envelope import EventEnvelope
from herald.events.payloads import WebhookRetryDue
from herald.events.registry import spec_for
from herald.observability import logs
from herald.pipeline.customer_webhooks.deliveries import (
    AttemptRecord,
    Deliveries,
    Delivery,
    DeliveryState,
    delivery_id_for,
)
from herald.pipeline.customer_webhooks.sender import PostOutcome, Sender
from herald.pipeline.customer_webhooks.signing import signature_headers
from herald.resources.webhook_endpoints import (
    MESSAGE_UPDATED,
    Endpoint,
    EndpointService,
)
from herald.store.base import (
    MessageRepository,
    ScheduledEvent,
    TimerRepository,
    WorkspaceRepository,
)
from herald.store.documents import DocumentStore

RETRY_EVENT = "webhook.retry_due"
DISABLE_AFTER = 5  # deliveries in a row that failed for good
# 30 s, 1, 2, 4 ... minutes up to an hour between tries; after 3 days, failed for good.
RETRY_BACKOFF = Backoff(base_s=30.0, max_s=3600.0)
RETRY_HORIZON_S = 3 * 24 * 3600


def next_try_ms(
    backoff: Backoff,
    first_try_ms: int,
    now_ms: int,
    tries: int,
    retry_after_s: float | None = None,
    horizon_s: float = RETRY_HORIZON_S,
) -> int | None:
    """When to try a delivery again after ``tries`` failed tries; None once that would be
    past the horizon (give up). An endpoint's ``Retry-After`` (a 429 or 503) wins: it said
    when to come back."""
    wait_s = max(1.0, retry_after_s) if retry_after_s is not None else backoff.delay_s(tries)
    due = now_ms + int(wait_s * 1000)
    return due if due <= first_try_ms + int(horizon_s * 1000) else None


def message_updated_body(message: MessageState) -> str:
    """Courier's outbound webhook body, compact: these are the bytes signed."""
    return json.dumps(
        {"type": MESSAGE_UPDATED, "data": MessageView.of(message).as_json()}, separators=(",", ":")
    )


def timer_owner(message_id: str) -> str:
    """Where a delivery's timer is filed: beside the message, not under it, so the
    sweeper never takes a webhook retry for the message itself waiting."""
    return f"{message_id}~webhooks"


class CustomerWebhooks:
    def __init__(
        self,
        documents: DocumentStore,
        sender: Sender,
        messages: MessageRepository | None = None,
        timers: TimerRepository | None = None,
        workspaces: WorkspaceRepository | None = None,
        allow_private: bool = False,
        backoff: Backoff = RETRY_BACKOFF,
        disable_after: int = DISABLE_AFTER,
        max_endpoints: int = DEFAULT_MAX_WEBHOOK_ENDPOINTS,
    ) -> None:
        self.endpoints = EndpointService(documents, max_endpoints)
        self.deliveries = Deliveries(documents)
        self.sender = sender
        self.messages = messages
        self.timers = timers
        self.workspaces = workspaces
        # Off in production: a tenant must not make Herald call its own network.
        self.allow_private = allow_private
        self.backoff = backoff
        self.disable_after = disable_after

    def handle(self, envelope: EventEnvelope) -> None:
        """Raise means retry (the store failed, or a try is in flight), return means done."""
        if envelope.type == RETRY_EVENT:
            due = WebhookRetryDue.model_validate(envelope.payload)
            self.try_delivery(envelope.workspace, due.endpoint_id, due.delivery_id)
            return
        if envelope.payload.get("fanout"):
            return  # a list send's own record: its messages are reported, not it
        assert self.messages is not None, "the observer reads messages"
        message = self.messages.get_message(envelope.workspace, envelope.message_id)
        if message is None:
            logs.error("webhooks: no such message", event_id=envelope.id)
            return
        body = message_updated_body(message)
        for endpoint in self.endpoints.all(envelope.workspace):
            if not endpoint.wants(MESSAGE_UPDATED):
                continue
            delivery = self.deliveries.create_once(
                envelope.workspace,
                Delivery(
                    id=delivery_id_for(envelope.id, endpoint.id),
                    endpoint_id=endpoint.id,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    message_id=envelope.message_id,
                    request_id=envelope.request_id,
                    seq=envelope.seq,
                    traceparent=envelope.traceparent,
                    body=body,
                    created_ms=now_ms(),
                ),
            )
            # A redelivered event finds its delivery done (or waiting for its timer): no-op.
            self.try_delivery(envelope.workspace, endpoint.id, delivery.id)

    def try_delivery(self, workspace: str, endpoint_id: str, delivery_id: str) -> None:
        try:
            endpoint = self.endpoints.get(workspace, endpoint_id)
        except NotFound:
            return  # deleted: its deliveries stop here (their TTL removes them)
        at = now_ms()
        delivery = self.deliveries.claim(workspace, endpoint_id, delivery_id, at)
        if delivery is None:
            return
        if not endpoint.enabled:
            self._finish(workspace, delivery, f"endpoint disabled ({endpoint.disabled_reason})")
            return
        outcome = self._post(workspace, endpoint, delivery, at)
        if outcome.ok:
            self._succeed(workspace, delivery)
            return
        error = outcome.error or "failed"
        retry_at = None if outcome.final else self._next_try(delivery, outcome)
        if retry_at is None:
            self._finish(workspace, delivery, error)
            self.endpoints.record_outcome(
                workspace, endpoint_id, succeeded=False, disable_after=self.disable_after, why=error
            )
            return
        # The timer first: a crash before the save leaves a timer that finds the try due.
        self._schedule(workspace, delivery, retry_at)
        delivery.next_try_ms = retry_at
        self.deliveries.save(workspace, delivery)

    def replay(self, workspace: str, endpoint_id: str, delivery_id: str) -> Delivery:
        """Posts a delivery's body again now, whatever its state; the API's replay.

        A failed replay schedules nothing: the caller sees the attempt and decides.
        """
        endpoint = self.endpoints.get(workspace, endpoint_id)
        self.deliveries.get(workspace, endpoint_id, delivery_id)  # 404 if absent
        if not endpoint.enabled:
            raise ValidationFailed.of("endpoint", "is disabled; enable it before replaying")
        at = now_ms()
        delivery = self.deliveries.claim(workspace, endpoint_id, delivery_id, at, replay=True)
        if delivery is None:  # deleted meanwhile
            return self.deliveries.get(workspace, endpoint_id, delivery_id)
        outcome = self._post(workspace, endpoint, delivery, at, replay=True)
        if outcome.ok:
            self._succeed(workspace, delivery)
        else:
            self.deliveries.save(workspace, delivery)
        return delivery

    def _post(
        self, workspace: str, endpoint: Endpoint, delivery: Delivery, at: int, replay: bool = False
    ) -> PostOutcome:
        body = delivery.body.encode()
        headers = signature_headers(endpoint.secret, delivery.id, at, body)
        started = time.monotonic()
        outcome = self.sender.post(endpoint.url, body, headers, self._allow_private(workspace))
        delivery.tries += 1
        if delivery.first_try_ms is None:
            delivery.first_try_ms = at
        delivery.attempts.append(
            AttemptRecord(
                at_ms=at,
                status=outcome.status,
                error=outcome.error,
                duration_ms=int((time.monotonic() - started) * 1000),
                replay=replay,
            )
        )
        logs.info(
            "webhook posted",
            endpoint_id=endpoint.id,
            delivery_id=delivery.id,
            status=outcome.status,
            error=outcome.error,
        )
        return outcome

    def _allow_private(self, workspace: str) -> bool:
        if self.allow_private:
            return True
        return self.workspaces is not None and (
            self.workspaces.settings(workspace).allow_private_destinations
        )

    def _next_try(self, delivery: Delivery, outcome: PostOutcome) -> int | None:
        first_try = delivery.first_try_ms or now_ms()
        return next_try_ms(self.backoff, first_try, now_ms(), delivery.tries, outcome.retry_after_s)

    def _succeed(self, workspace: str, delivery: Delivery) -> None:
        delivery.state, delivery.next_try_ms, delivery.failure = DeliveryState.SUCCEEDED, None, None
        self.deliveries.save(workspace, delivery)
        self.endpoints.record_outcome(
            workspace,
            delivery.endpoint_id,
            succeeded=True,
            disable_after=self.disable_after,
            why="",
        )

    def _finish(self, workspace: str, delivery: Delivery, why: str) -> None:
        delivery.state, delivery.next_try_ms, delivery.failure = DeliveryState.FAILED, None, why
        self.deliveries.save(workspace, delivery)
        logs.warning("webhook delivery failed", delivery_id=delivery.id, reason=why)

    def _schedule(self, workspace: str, delivery: Delivery, due_ms: int) -> None:
        assert self.timers is not None, "the observer retries through the timer"
        spec = spec_for(RETRY_EVENT)
        envelope = EventEnvelope(
            # One id per try: each is a fresh event for the timer and the logs.
            id=f"{delivery.id}:{delivery.tries}",
            type=spec.name,
            version=spec.version,
            workspace=workspace,
            message_id=delivery.message_id,
            request_id=delivery.request_id,
            # The event it answers: the relay's published mark lands on a record that exists.
            seq=delivery.seq,
            occurred_ms=now_ms(),
            payload=WebhookRetryDue(
                endpoint_id=delivery.endpoint_id, delivery_id=delivery.id
            ).model_dump(),
            traceparent=delivery.traceparent,
        )
        self.timers.schedule(
            ScheduledEvent(
                key=delivery.id,
                workspace=workspace,
                message_id=timer_owner(delivery.message_id),
                due_ms=due_ms,
                envelope=envelope,
                reason=f"webhook retry {delivery.tries}",
                created_ms=now_ms(),
            )
        )
