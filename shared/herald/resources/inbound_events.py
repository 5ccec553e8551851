"""Courier's inbound track events, as Herald takes them: an event names the template to
send (Courier's event id or notification id), to the user it is about, with its
properties as the message's data.

Each event's ``messageId`` is claimed once per workspace (``inbound_events/{id}``): a
second event with it is a conflict, as in Courier, and sends nothing.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.send import check_identifier
from herald.store.documents import DocumentStore


class TrackEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["track"]
    # The template sent: Courier's event id, or its notification id.
    event: str
    message_id: str = Field(alias="messageId")
    properties: dict[str, Any]
    # Courier makes it optional; Herald needs someone to send to.
    user_id: str = Field(alias="userId")

    _ids = field_validator("event", "message_id", "user_id")(
        classmethod(lambda cls, v: check_identifier(v))
    )


def send_body(event: TrackEvent) -> dict[str, Any]:
    """The send an event makes: its template, to its user, with its properties as data."""
    return {
        "message": {
            "to": {"user_id": event.user_id},
            "template": event.event,
            "data": event.properties,
            "metadata": {"event": event.event},
        }
    }


class InboundClaims:
    """Each event id once per workspace."""

    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def claim(self, workspace: str, message_id: str) -> str | None:
        """A token if this call claimed the id, None if it was claimed before."""
        token = secrets.token_hex(8)
        stored = self.documents.update(
            workspace,
            ("inbound_events", message_id),
            lambda current: None if current else {"token": token, "claimed_ms": now_ms()},
        )
        return token if stored is not None and stored.get("token") == token else None

    def sent(self, workspace: str, message_id: str, request_id: str) -> None:
        self.documents.update(
            workspace,
            ("inbound_events", message_id),
            lambda current: {**(current or {}), "request_id": request_id},
        )

    def release(self, workspace: str, message_id: str) -> None:
        """The event sent nothing (it was refused): its id may be used again."""
        self.documents.delete(workspace, ("inbound_events", message_id))
