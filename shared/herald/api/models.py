"""The public API's own response bodies, as models: their JSON Schemas are the published contract.

The message's views (``MessageView``, its history, output and list) are declared
in ``herald.domain.views``, which builds them; the webhooks' and the directory
APIs' in ``models_webhooks`` and ``models_directory``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from herald.domain.views import (
    MessageHistory,
    MessageList,
    MessageOutput,
    MessageView,
    Paging,
    RequestView,
    View,
)


class SendAccepted(View):
    """``202`` answer to ``POST /send``."""

    request_id: str


class ResendAccepted(View):
    """``202`` answer to ``POST /messages/{message_id}/resend``: the new message's id."""

    message_id: str


class RecordedDelivery(View):
    """A provider call test mode's recording sink took instead of the provider."""

    channel: str
    provider: str  # the provider delivery chose, which was not called
    recorded_at: str
    recipient: dict[str, Any]  # the message's recipient, as the provider would have had it
    content: dict[str, Any]  # the channel's rendered content, as the provider would have had it


class RecordedMessage(View):
    """``GET /test-outbox/{message_id}``: what a test key's message would have sent."""

    message_id: str
    deliveries: list[RecordedDelivery]


class RecordedPage(View):
    """``GET /test-outbox``: the test outbox, a page of messages by id."""

    results: list[RecordedMessage]
    paging: Paging


class InboundAccepted(View):
    """``202`` answer to ``POST /inbound/courier``: the id of the message the event sends."""

    message_id: str


class FieldError(View):
    field: str
    reason: str


class ErrorBody(View):
    """Every 4xx and 5xx answer, in Courier's shape; ``errors`` only on a 400."""

    type: str
    message: str
    errors: list[FieldError] | None = None


# Schema file name under schemas/api/ -> (model, what it is): what `herald generate` writes.
RESPONSE_BODIES: dict[str, tuple[type[BaseModel], str]] = {
    "send-response": (SendAccepted, "POST /send 202 response body"),
    "message": (MessageView, "GET /messages/{id} response body"),
    "message-history": (MessageHistory, "GET /messages/{id}/history response body"),
    "message-output": (MessageOutput, "GET /messages/{id}/output response body"),
    "request": (RequestView, "GET /requests/{requestId} response body"),
    "message-list": (MessageList, "GET /messages response body"),
    "error": (ErrorBody, "every error response body (4xx, 5xx)"),
}
