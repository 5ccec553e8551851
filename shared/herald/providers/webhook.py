"""A JSON POST to a recipient's webhook destination."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from herald.domain.message import ChannelOutcome
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import Resolver, exchange, raise_for_status, system_resolver

SECRET_PREFIX = "whsec_"


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks' ``webhook-signature``: v1, base64 HMAC-SHA256 of "id.timestamp.body",
    keyed with the base64-decoded part of the ``whsec_`` secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def authorization(authentication: dict[str, Any] | None) -> str | None:
    """The Authorization header of Courier's webhook ``authentication``, or None."""
    if authentication is None:
        return None
    if authentication["mode"] == "bearer":
        return f"Bearer {authentication['token']}"
    if authentication["mode"] == "basic":
        pair = f"{authentication['username']}:{authentication['password']}"
        return "Basic " + base64.b64encode(pair.encode()).decode()
    return None


def expanded_profile(recipient: dict[str, Any]) -> dict[str, Any]:
    """The recipient as resolved for the message (its stored profile merged in), without
    the webhook destination itself, whose credentials are not the profile's to tell."""
    return {key: value for key, value in recipient.items() if key != "webhook"}


class WebhookProvider:
    name = "webhook"
    channel = "webhook"

    def __init__(
        self,
        timeout_s: float = 10.0,
        allow_private: bool = False,
        signing_secret: str | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.timeout_s = timeout_s
        self.resolver = resolver
        # Off in production: a tenant must not make Herald call its own network
        # (metadata server, internal services). The local stack turns it on.
        self.allow_private = allow_private
        if signing_secret is not None:
            base64.b64decode(signing_secret.removeprefix(SECRET_PREFIX), validate=True)
        self.signing_secret = signing_secret

    def body(self, dispatch: Dispatch) -> bytes:
        payload = {"event": "message", "messageId": dispatch.message_id, **dispatch.rendered}
        if dispatch.recipient["webhook"].get("profile") == "expanded":
            payload["profile"] = expanded_profile(dispatch.recipient)
        return json.dumps(payload, separators=(",", ":")).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        destination = dispatch.recipient["webhook"]
        body = self.body(dispatch)
        headers = {
            **destination.get("headers", {}),
            "content-type": "application/json",
            "user-agent": "Herald",
            # Standard Webhooks' id: the same on every retry of this attempt.
            "webhook-id": dispatch.attempt_key,
        }
        if (header := authorization(destination.get("authentication"))) is not None:
            headers["authorization"] = header
        if self.signing_secret is not None:
            timestamp = int(time.time())
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = sign(
                self.signing_secret, dispatch.attempt_key, timestamp, body
            )
        result = exchange(
            destination["url"],
            destination.get("method", "POST"),
            body,
            headers,
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private or dispatch.allow_private,
            self.resolver,
        )
        raise_for_status(result, self.name)
        return Receipt(ChannelOutcome.DELIVERED, str(result.status))
