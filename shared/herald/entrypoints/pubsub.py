"""Pub/Sub push consumers: decode the envelope, dedupe-ready, hand it to a service."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from herald import logs
from herald.errors import UndecodableEvent
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for


def decode(data: Any) -> EventEnvelope:
    """The envelope of a push delivery: ``{"message": {data, attributes}, "subscription"}``."""
    try:
        message = data["message"]
        raw = base64.b64decode(message["data"], validate=True)
        envelope = EventEnvelope.model_validate_json(raw)
        attributes = message.get("attributes") or {}
    except (KeyError, TypeError, binascii.Error, ValidationError) as exc:
        raise UndecodableEvent(f"not a Herald event: {exc}") from exc
    if attributes.get("event_id") != envelope.id:
        raise UndecodableEvent("the event_id attribute does not match the envelope")
    return envelope


def consume(data: Any, consumer: str, handler: Callable[[EventEnvelope], None]) -> None:
    try:
        envelope = decode(data)
        if consumer not in spec_for(envelope.type).consumers:
            raise UndecodableEvent(f"{consumer} does not consume {envelope.type}")
    except (UndecodableEvent, KeyError) as exc:
        # Retrying cannot fix it: ack, and leave a trace in the logs.
        logs.error("event dropped", consumer=consumer, error=str(exc))
        return
    handler(envelope)
    logs.info("event handled", consumer=consumer, event_id=envelope.id, event_type=envelope.type)
