"""The event web as an AsyncAPI 3.0 document, generated from the registry.

One channel per Pub/Sub topic; a ``send`` operation for each event's producer
(it writes the outbox record, the relay publishes it) and a ``receive``
operation per consumer (a push subscription). Each message is what travels on
Pub/Sub: the envelope, whose ``payload`` refers to the event's published JSON
Schema under ``schemas/events/``, and the attributes consumers dedupe on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from herald.events.envelope import EventEnvelope
from herald.events.registry import EVENTS, EventSpec
from herald_tools.schemafile import schema_file

ASYNCAPI_VERSION = "3.0.0"
# Where the document lives relative to the repository root, and from there the schemas.
DOCUMENT_PATH = "docs/asyncapi.json"
SCHEMAS_FROM_DOCUMENT = "../schemas/events/"

# The Pub/Sub attributes every event carries (EventEnvelope.attributes()).
ATTRIBUTES: dict[str, str] = {
    "event_id": "The event's id ({workspace}:{message}:{seq}): what consumers dedupe on.",
    "event_type": "The event's name.",
    "event_version": "The payload's schema version.",
    "workspace": "The workspace the message belongs to.",
    "message_id": "The message the event is about.",
}


def message_key(spec: EventSpec) -> str:
    return f"{spec.name}.v{spec.version}"


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _envelope_schema() -> dict[str, Any]:
    schema = EventEnvelope.model_json_schema()
    schema["description"] = "How an event travels: its identity, its message, and its payload."
    return schema


def _message(spec: EventSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "title": f"{spec.name} v{spec.version}",
        "summary": spec.description,
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "description": "Pub/Sub message attributes.",
            "required": sorted(ATTRIBUTES),
            "properties": {
                name: (
                    {"type": "string", "const": str(spec.version), "description": text}
                    if name == "event_version"
                    else {"type": "string", "const": spec.name, "description": text}
                    if name == "event_type"
                    else {"type": "string", "description": text}
                )
                for name, text in ATTRIBUTES.items()
            },
        },
        "payload": {
            "allOf": [
                _ref("components", "schemas", "envelope"),
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": spec.name},
                        "version": {"const": spec.version},
                        "payload": {
                            "$ref": SCHEMAS_FROM_DOCUMENT + schema_file(spec.name, spec.version)
                        },
                    },
                },
            ]
        },
        "x-herald-history-type": spec.history_type,
    }


def document(events: Iterable[EventSpec] = EVENTS, version: str = "0") -> dict[str, Any]:
    events = list(events)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in events:
        key = message_key(spec)
        channel = channels.setdefault(
            spec.topic,
            {
                "address": spec.topic,
                "title": spec.name,
                "description": f"The Pub/Sub topic of {spec.name}.",
                "messages": {},
            },
        )
        channel["messages"][key] = _ref("components", "messages", key)
        message_ref = _ref("channels", spec.topic, "messages", key)
        for producer in spec.producers:
            operations[f"{producer}.send.{key}"] = {
                "action": "send",
                "channel": _ref("channels", spec.topic),
                "title": f"{producer} emits {spec.name}",
                "summary": "Written to the outbox with the state change; the relay publishes it.",
                "messages": [message_ref],
                "x-herald-function": producer,
            }
        for consumer in spec.consumers:
            operations[f"{consumer}.receive.{key}"] = {
                "action": "receive",
                "channel": _ref("channels", spec.topic),
                "title": f"{consumer} consumes {spec.name}",
                "summary": f"Push subscription {spec.subscription(consumer)}, dead-lettered "
                f"to {spec.dead_letter_topic(consumer)}.",
                "messages": [message_ref],
                "x-herald-function": consumer,
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Herald events",
            "version": version,
            "description": "Every event Herald's functions exchange through Pub/Sub, "
            "generated from shared/herald/events/registry.py (./herald generate).",
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "pubsub": {
                "host": "pubsub.googleapis.com",
                "protocol": "googlepubsub",
                "description": "Google Cloud Pub/Sub; locally, its emulator.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"envelope": _envelope_schema()},
            "messages": {message_key(spec): _message(spec) for spec in events},
        },
    }
