"""A JSON POST to a recipient's webhook destination."""

from __future__ import annotations

import json
from collections.abc import Callable

from herald.domain.message import ChannelOutcome
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import exchange, raise_for_status


class WebhookProvider:
    name = "webhook"
    channel = "webhook"

    def __init__(self, timeout_s: float = 10.0, allow_private: bool = False) -> None:
        self.timeout_s = timeout_s
        # Off in production: a tenant must not make Herald call its own network
        # (metadata server, internal services). The local stack turns it on.
        self.allow_private = allow_private

    def body(self, dispatch: Dispatch) -> bytes:
        return json.dumps(
            {"event": "message", "messageId": dispatch.message_id, **dispatch.rendered},
            separators=(",", ":"),
        ).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        destination = dispatch.recipient["webhook"]
        headers = {
            **destination.get("headers", {}),
            "content-type": "application/json",
            "user-agent": "Herald",
            # Standard Webhooks' id: the same on every retry of this attempt.
            "webhook-id": dispatch.attempt_key,
        }
        result = exchange(
            destination["url"],
            destination.get("method", "POST"),
            self.body(dispatch),
            headers,
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
        )
        raise_for_status(result, self.name)
        return Receipt(ChannelOutcome.DELIVERED, str(result.status))
