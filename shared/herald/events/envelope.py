"""The envelope: how an event is stored in the outbox and carried on Pub/Sub."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


class EventEnvelope(BaseModel):
    id: str
    type: str
    version: int
    workspace: str
    message_id: str
    request_id: str
    seq: int
    occurred_ms: int
    payload: dict[str, Any]
    # W3C trace context of the span that caused the event, as in CloudEvents'
    # distributed-tracing extension: the relay continues the trace from it.
    traceparent: str | None = None

    def attributes(self) -> dict[str, str]:
        """Pub/Sub attributes: consumers dedupe on ``event_id``, never on messageId."""
        return {
            "event_id": self.id,
            "event_type": self.type,
            "event_version": str(self.version),
            "workspace": self.workspace,
            "message_id": self.message_id,
        }


@dataclass(frozen=True)
class NewEvent:
    """An event a stage decided to emit; the store gives it its sequence number."""

    type: str
    payload: BaseModel
