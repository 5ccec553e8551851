"""SMS through Twilio's Programmable Messaging API: creating a Message resource.

``POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json`` with
HTTP Basic auth (Account SID, auth token) and form fields ``To``, ``Body`` and
``From`` or ``MessagingServiceSid``; ``201 Created`` answers the Message resource
(``sid``, ``status``). Errors are ``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from herald.domain.message import ChannelOutcome
from herald.errors import PermanentProviderError, ProviderError
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import exchange, raise_for_status

MAX_DETAIL_CHARS = 200
FAILED_STATUSES = frozenset({"failed", "undelivered"})


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON object body, or an empty dict for anything else."""
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class TwilioProvider:
    """Sends one SMS to ``recipient["phone_number"]`` (E.164) with Twilio's Messages API."""

    name = "twilio"
    channel = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        base_url: str = "https://api.twilio.com",
        timeout_s: float = 10.0,
        allow_private: bool = False,
        public_url: str | None = None,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("a Twilio Account SID and auth token are required")
        if not sender:
            raise ValueError("a sender phone number or Messaging Service SID is required")
        self._auth_token = auth_token
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"
        # A Messaging Service SID starts with MG; Twilio then picks the number itself.
        self.sender_field = "MessagingServiceSid" if sender.startswith("MG") else "From"
        self.sender = sender
        self.url = (
            f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}"
            "/Messages.json"
        )
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        # Herald's public URL: Twilio posts each status change of the message there.
        self.public_url = public_url.rstrip("/") if public_url else None

    def status_callback(self, dispatch: Dispatch) -> str | None:
        """Where Twilio reports the message's status; the workspace and message are in the
        path, which Twilio signs."""
        if self.public_url is None or not dispatch.workspace:
            return None
        workspace, message = (quote(v, safe="") for v in (dispatch.workspace, dispatch.message_id))
        return f"{self.public_url}/callbacks/twilio/{workspace}/status/{message}"

    def body(self, dispatch: Dispatch, phone_number: str) -> bytes:
        fields = {
            "To": phone_number,
            self.sender_field: self.sender,
            "Body": dispatch.rendered["text"],
        }
        if callback := self.status_callback(dispatch):
            fields["StatusCallback"] = callback
        return urlencode(fields).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        phone_number = dispatch.recipient.get("phone_number")
        if not isinstance(phone_number, str) or not phone_number:
            raise PermanentProviderError(
                "recipient has no phone_number", self.name, "NO_PHONE_NUMBER"
            )
        result = exchange(
            self.url,
            "POST",
            self.body(dispatch, phone_number),
            {
                "authorization": self._authorization,
                "content-type": "application/x-www-form-urlencoded",
                "user-agent": "Herald",
            },
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
        )
        answer = json_object(result.body)
        if not result.ok:
            code = str(answer["code"]) if isinstance(answer.get("code"), int) else ""
            try:
                raise_for_status(result, self.name, self.error_detail(result.status, code, answer))
            except ProviderError as error:
                # Twilio's code says more than the status: 21610 is an unsubscribed recipient.
                error.code = code or error.code
                raise
        status = answer.get("status")
        if isinstance(status, str) and status in FAILED_STATUSES:
            error_code = answer.get("error_code")
            raise PermanentProviderError(
                f"twilio created the message as {status}"
                + (f": error {error_code}" if error_code else ""),
                self.name,
                str(error_code or status),
            )
        sid = answer.get("sid")
        # A 201 is Twilio's acceptance even if its body cannot be read: never resend it.
        return Receipt(ChannelOutcome.SENT, sid if isinstance(sid, str) else None)

    def error_detail(self, status: int, code: str, error: dict[str, Any]) -> str:
        """``error <code>: <message>`` from a Twilio error body, shortened."""
        if status == 401:
            # Twilio answers only "Authenticate"; say what to check, never with what.
            return "authentication failed: check the Account SID and auth token"
        message = error.get("message")
        # A message may quote the request back; the auth token must never leak.
        text = message.replace(self._auth_token, "<redacted>") if isinstance(message, str) else ""
        return ": ".join(p for p in (f"error {code}" if code else "", text) if p)[:MAX_DETAIL_CHARS]
