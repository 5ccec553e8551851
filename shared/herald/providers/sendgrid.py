"""Email through the SendGrid v3 Mail Send API.

``POST https://api.sendgrid.com/v3/mail/send`` with ``Authorization: Bearer <API key>``
and a JSON body; ``202 Accepted`` means SendGrid queued the message, and its
``X-Message-Id`` header names it. Errors carry ``{"errors": [{"message": ...}]}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from email.utils import parseaddr

from herald.domain.message import ChannelOutcome
from herald.domain.unsubscribe import unsubscribe_headers
from herald.errors import PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import exchange, raise_for_status

MAX_DETAIL_CHARS = 200


def rate_limit_reset_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until SendGrid's ``X-RateLimit-Reset`` (Unix epoch seconds), else None."""
    value = (headers.get("x-ratelimit-reset") or "").strip()
    if not value.isdigit():
        return None
    return max(0.0, int(value) - (now if now is not None else time.time()))


def sendgrid_error(body: bytes) -> str:
    """The first ``errors[].message`` of a SendGrid error body, or an empty string."""
    try:
        message = json.loads(body)["errors"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
    return message if isinstance(message, str) else ""


class SendGridProvider:
    """Sends one mail (its text, and its HTML when it has some) to ``recipient["email"]``
    with SendGrid v3 Mail Send."""

    name = "sendgrid"
    channel = "email"

    def __init__(
        self,
        api_key: str,
        sender: str,
        base_url: str = "https://api.sendgrid.com",
        timeout_s: float = 10.0,
        allow_private: bool = False,
    ) -> None:
        if not api_key:
            raise ValueError("a SendGrid API key is required")
        sender_name, sender_email = parseaddr(sender)
        if "@" not in sender_email:
            raise ValueError(f"sender {sender!r} has no email address")
        self._api_key = api_key
        self.sender = {"email": sender_email, **({"name": sender_name} if sender_name else {})}
        self.url = base_url.rstrip("/") + "/v3/mail/send"
        self.timeout_s = timeout_s
        self.allow_private = allow_private

    def body(self, dispatch: Dispatch, email: str) -> bytes:
        content = [{"type": "text/plain", "value": dispatch.rendered["text"]}]
        if html := dispatch.rendered.get("html"):
            content.append({"type": "text/html", "value": html})  # plain text first, as required
        headers = unsubscribe_headers(dispatch.rendered)
        return json.dumps(
            {
                "personalizations": [{"to": [{"email": email}]}],
                "from": self.sender,
                "subject": dispatch.rendered["subject"],
                "content": content,
                **({"headers": headers} if headers else {}),
                # SendGrid's Event Webhook echoes these back: they tie its events to the attempt.
                "custom_args": {
                    "herald_workspace": dispatch.workspace,
                    "herald_message_id": dispatch.message_id,
                    "herald_attempt": dispatch.attempt_key,
                },
            },
            separators=(",", ":"),
        ).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        email = dispatch.recipient.get("email")
        if not isinstance(email, str) or not email:
            raise PermanentProviderError("recipient has no email", self.name, "NO_EMAIL")
        result = exchange(
            self.url,
            "POST",
            self.body(dispatch, email),
            {
                "authorization": f"Bearer {self._api_key}",
                "content-type": "application/json",
                "user-agent": "Herald",
            },
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
        )
        if not result.ok:
            # A message may quote the request back; the API key must never leak.
            detail = sendgrid_error(result.body).replace(self._api_key, "<redacted>")
            try:
                raise_for_status(result, self.name, detail[:MAX_DETAIL_CHARS])
            except RetryableProviderError as error:
                if result.status == 429 and error.retry_after_s is None:
                    error.retry_after_s = rate_limit_reset_s(result.headers)
                raise
        # A 2xx is SendGrid's acceptance even without the header: never resend it.
        return Receipt(ChannelOutcome.SENT, result.headers.get("x-message-id"))
