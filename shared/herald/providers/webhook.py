"""A JSON POST to a recipient's webhook destination."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from urllib.parse import urlsplit

from herald.domain.message import ChannelOutcome
from herald.errors import (
    AmbiguousProviderError,
    PermanentProviderError,
    RetryableProviderError,
)
from herald.providers.base import Dispatch, Receipt

RETRYABLE_STATUS = frozenset({408, 425, 429})


class WebhookProvider:
    name = "webhook"
    channel = "webhook"

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def body(self, dispatch: Dispatch) -> bytes:
        return json.dumps(
            {"event": "message", "messageId": dispatch.message_id, **dispatch.rendered},
            separators=(",", ":"),
        ).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        destination = dispatch.recipient["webhook"]
        url = urlsplit(destination["url"])
        connection_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(url.netloc, timeout=self.timeout_s)
        headers = {
            **destination.get("headers", {}),
            "content-type": "application/json",
            "user-agent": "Herald",
            # Standard Webhooks' id: the same on every retry of this attempt.
            "webhook-id": dispatch.attempt_key,
        }
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        try:
            connection.connect()
        except OSError as exc:
            raise RetryableProviderError(
                f"cannot connect to {url.netloc}: {exc}", self.name
            ) from exc
        try:
            handoff()
            try:
                connection.request(
                    destination.get("method", "POST"), path, self.body(dispatch), headers
                )
                response = connection.getresponse()
                response.read()
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                raise AmbiguousProviderError(
                    f"no answer from {url.netloc}: {exc}", self.name
                ) from exc
        finally:
            connection.close()
        status = response.status
        if 200 <= status < 300:
            return Receipt(ChannelOutcome.DELIVERED, str(status))
        error = f"HTTP {status} from {url.netloc}"
        if status >= 500 or status in RETRYABLE_STATUS:
            raise RetryableProviderError(error, self.name, str(status))
        raise PermanentProviderError(error, self.name, str(status))
