"""Push notifications through Firebase Cloud Messaging's HTTP v1 API.

``POST https://fcm.googleapis.com/v1/projects/{project_id}/messages:send`` with an
OAuth 2.0 bearer token for the ``firebase.messaging`` scope; a 200 answer carries the
message's resource name. Errors are Google API errors whose ``details`` hold an
``FcmError`` with the FCM ``errorCode``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from herald.domain.message import ChannelOutcome
from herald.errors import PermanentProviderError, ProviderError, RetryableProviderError
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import exchange, raise_for_status

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
MAX_DETAIL_CHARS = 300
_ERROR_CODE = re.compile(r"^[A-Z][A-Z_]{0,63}$")


def fcm_data(data: dict[str, Any], message_id: str) -> dict[str, str]:
    """FCM's ``data`` map: every value must be a string, so others are sent as JSON."""
    converted = {
        str(key): value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for key, value in data.items()
    }
    converted["herald_message_id"] = message_id
    return converted


def fcm_error(body: bytes) -> tuple[str, str]:
    """``(code, message)`` of a Google API error body: the FcmError ``errorCode`` if there
    is one, else the error's ``status``; empty strings where the body says nothing."""
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return "", ""
    if not isinstance(error, dict):
        return "", ""
    code = ""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            code = str(detail.get("errorCode") or "")
            break
    if not code:
        code = str(error.get("status") or "")
    message = error.get("message")
    return (
        code if _ERROR_CODE.match(code) else "",
        message if isinstance(message, str) else "",
    )


class FcmProvider:
    """Sends one message to one registration token (``recipient["firebaseToken"]``)."""

    name = "fcm"
    channel = "push"

    def __init__(
        self,
        project_id: str,
        access_token: Callable[[], str],
        base_url: str = "https://fcm.googleapis.com",
        timeout_s: float = 10.0,
        allow_private: bool = False,
    ) -> None:
        self.project_id = project_id
        self.access_token = access_token
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.allow_private = allow_private

    @property
    def url(self) -> str:
        return f"{self.base_url}/v1/projects/{quote(self.project_id, safe='')}/messages:send"

    def body(self, dispatch: Dispatch, registration_token: str) -> bytes:
        rendered = dispatch.rendered
        message: dict[str, Any] = {"token": registration_token}
        notification = {
            key: str(rendered[key]) for key in ("title", "body") if rendered.get(key) is not None
        }
        if notification:
            message["notification"] = notification
        message["data"] = fcm_data(rendered.get("data") or {}, dispatch.message_id)
        return json.dumps({"message": message}, separators=(",", ":")).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        registration_token = dispatch.recipient.get("firebaseToken")
        if not isinstance(registration_token, str) or not registration_token:
            raise PermanentProviderError("recipient has no firebaseToken", self.name, "NO_TOKEN")
        try:
            access_token = self.access_token()
        except Exception as exc:
            # Only the type: a token source's message may quote what it was given.
            raise RetryableProviderError(
                f"cannot obtain an FCM access token: {type(exc).__name__}", self.name
            ) from exc
        result = exchange(
            self.url,
            "POST",
            self.body(dispatch, registration_token),
            {"authorization": f"Bearer {access_token}", "content-type": "application/json"},
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
        )
        if not result.ok:
            code, message = fcm_error(result.body)
            # Google's messages can echo request values back; neither token may leak.
            for secret in (registration_token, access_token):
                if secret:
                    message = message.replace(secret, "<redacted>")
            message = message[:MAX_DETAIL_CHARS]
            if result.status == 401 and code != "THIRD_PARTY_AUTH_ERROR":
                message = (
                    "FCM refused Herald's access token (expired, revoked or without the "
                    "firebase.messaging scope); not retried"
                )
            try:
                raise_for_status(result, self.name, ": ".join(p for p in (code, message) if p))
            except ProviderError as error:
                error.code = code or error.code
                raise
        try:
            reference = json.loads(result.body).get("name")
        except (ValueError, AttributeError):
            reference = None
        # A 200 is FCM's acceptance, even if its body cannot be read: never resend it.
        return Receipt(ChannelOutcome.SENT, reference if isinstance(reference, str) else None)
