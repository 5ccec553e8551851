"""Pub/Sub push consumers: decode the envelope, continue its trace, hand it to a service."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from pydantic import ValidationError

from herald import faults
from herald.errors import Contended, UndecodableEvent
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for, subscription_filter
from herald.observability import logs, metrics, tracing
from herald.redaction import error_text


def decode(data: Any) -> tuple[EventEnvelope, dict[str, str]]:
    """The envelope of a push delivery (``{"message": {data, attributes}, ...}``) and its attributes."""
    try:
        message = data["message"]
        raw = base64.b64decode(message["data"], validate=True)
        envelope = EventEnvelope.model_validate_json(raw)
        attributes = dict(message.get("attributes") or {})
    except (KeyError, TypeError, binascii.Error, ValidationError) as exc:
        raise UndecodableEvent(f"not a Herald event: {exc}") from exc
    if attributes.get("event_id") != envelope.id:
        raise UndecodableEvent("the event_id attribute does not match the envelope")
    return envelope, attributes


def consume(data: Any, consumer: str, handler: Callable[[EventEnvelope], None]) -> None:
    """Raise means retry, return means done."""
    tracing.configure(consumer)
    metrics.configure(consumer)
    with tracing.invocation():
        try:
            envelope, attributes = decode(data)
            if consumer not in spec_for(envelope.type).consumers:
                raise UndecodableEvent(f"{consumer} does not consume {envelope.type}")
        except (UndecodableEvent, KeyError) as exc:
            # Retrying cannot fix it: ack, and leave a trace in the logs.
            logs.error("event dropped", consumer=consumer, error=error_text(exc))
            return
        wanted = subscription_filter(consumer)
        if wanted is not None and not wanted.admits(attributes):
            return  # what the subscription's filter refuses in production (the emulator's does not)
        if faults.push_lost(envelope.workspace):
            logs.warning("push dropped (fault injected)", consumer=consumer, event_id=envelope.id)
            return
        topic = spec_for(envelope.type).topic
        with tracing.tracer().start_as_current_span(
            f"{topic} process",
            context=tracing.context_from_pubsub(attributes),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "gcp_pubsub",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.message.id": str(data["message"].get("messageId", "")),
                "herald.consumer": consumer,
                "herald.event_id": envelope.id,
                "herald.message_id": envelope.message_id,
                "herald.workspace": envelope.workspace,
            },
        ):
            started, failed = time.perf_counter(), True
            try:
                handler(envelope)
                failed = False
            except Contended:
                # Nothing was written: raising has the push redelivered after a backoff.
                logs.warning(
                    "event contended; it will be redelivered",
                    consumer=consumer,
                    event_id=envelope.id,
                    message_id=envelope.message_id,
                    workspace=envelope.workspace,
                )
                raise
            finally:
                # The event web's consumption edge, as its process span records it.
                metrics.record_edge(
                    metrics.CONSUMED,
                    consumer,
                    envelope.type,
                    envelope.workspace,
                    failed,
                    (time.perf_counter() - started) * 1000,
                )
            logs.info(
                "event handled",
                consumer=consumer,
                event_id=envelope.id,
                event_type=envelope.type,
                message_id=envelope.message_id,
                workspace=envelope.workspace,
            )
