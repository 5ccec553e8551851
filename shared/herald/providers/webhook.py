"""A JSON POST to a recipient's webhook destination."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from herald.domain.headers import header_problem
from herald.domain.message import ChannelOutcome
from herald.errors import (
    AmbiguousProviderError,
    PermanentProviderError,
    RetryableProviderError,
)
from herald.providers.base import Dispatch, Receipt

RETRYABLE_STATUS = frozenset({408, 425, 429})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class WebhookProvider:
    name = "webhook"
    channel = "webhook"

    def __init__(self, timeout_s: float = 10.0, allow_private: bool = False) -> None:
        self.timeout_s = timeout_s
        # Off in production: a tenant must not make Herald call its own network
        # (metadata server, internal services). The local stack turns it on.
        self.allow_private = allow_private

    def _check_destination(self, host: str, port: int) -> None:
        try:
            addresses = {
                info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            }
        except OSError as exc:
            raise RetryableProviderError(f"cannot resolve {host}: {exc}", self.name) from exc
        if not self.allow_private and not all(_is_public(str(a)) for a in addresses):
            raise PermanentProviderError(
                f"{host} resolves to a private or reserved address; refused", self.name
            )

    def body(self, dispatch: Dispatch) -> bytes:
        return json.dumps(
            {"event": "message", "messageId": dispatch.message_id, **dispatch.rendered},
            separators=(",", ":"),
        ).encode()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        destination = dispatch.recipient["webhook"]
        url = urlsplit(destination["url"])
        headers = {
            **destination.get("headers", {}),
            "content-type": "application/json",
            "user-agent": "Herald",
            # Standard Webhooks' id: the same on every retry of this attempt.
            "webhook-id": dispatch.attempt_key,
        }
        for name, value in headers.items():
            if problem := header_problem(name, value):
                raise PermanentProviderError(problem, self.name)
        https = url.scheme == "https"
        host, port = url.hostname or "", url.port or (443 if https else 80)
        self._check_destination(host, port)
        connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
        connection = connection_class(host, port, timeout=self.timeout_s)
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
