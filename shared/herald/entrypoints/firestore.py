"""Eventarc Firestore events: protobuf ``DocumentEventData`` to plain Python values."""

from __future__ import annotations

import datetime
from typing import Any

from google.events.cloud import firestore as firestore_events

from herald.errors import UndecodableEvent


def _value(value: Any) -> Any:
    pb = firestore_events.Value.pb(value)
    kind = pb.WhichOneof("value_type")
    if kind is None or kind == "null_value":
        return None
    if kind == "map_value":
        return {k: _value(v) for k, v in value.map_value.fields.items()}
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "integer_value":
        return int(value.integer_value)
    if kind == "timestamp_value":
        stamp: datetime.datetime = value.timestamp_value
        return stamp
    return getattr(value, kind)


def _fields(document: Any) -> dict[str, Any] | None:
    if document is None or not document.name:
        return None
    return {k: _value(v) for k, v in document.fields.items()}


def decode(data: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(before, after) of the written document; None where it did not exist."""
    if not isinstance(data, (bytes, bytearray)):
        raise UndecodableEvent("expected a protobuf DocumentEventData body")
    try:
        event = firestore_events.DocumentEventData.deserialize(bytes(data))
    except Exception as exc:
        raise UndecodableEvent(f"cannot decode DocumentEventData: {exc}") from exc
    old = event.old_value if "old_value" in event else None
    new = event.value if "value" in event else None
    return _fields(old), _fields(new)
