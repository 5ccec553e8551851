"""One HTTP exchange with a provider, classified the same way for every HTTP provider.

- The destination is resolved first and refused if any of its addresses is not
  globally reachable (SSRF; see ``herald.providers.addresses``), unless private
  addresses are allowed.
- A failure before the connection is open is retryable: nothing left.
- ``handoff`` is called once the connection is open, just before the request.
- No answer after that is ambiguous: the provider may have the message.
- Redirects are not followed; the response body is read up to a cap.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from herald.domain.headers import header_problem
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.addresses import is_public

MAX_RESPONSE_BYTES = 64 * 1024
RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date (RFC 9110), else None."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def exchange(
    url: str,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    handoff: Callable[[], None],
    provider: str,
    timeout_s: float = 10.0,
    allow_private: bool = False,
) -> HttpResult:
    for name, value in headers.items():
        if problem := header_problem(name, value):
            raise PermanentProviderError(problem, provider)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except OSError as exc:
        raise RetryableProviderError(f"cannot resolve {host}: {exc}", provider) from exc
    if not allow_private and not all(is_public(str(a)) for a in addresses):
        raise PermanentProviderError(
            f"{host} resolves to a private or reserved address; refused", provider
        )
    connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=timeout_s)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()
    except OSError as exc:
        raise RetryableProviderError(f"cannot connect to {host}:{port}: {exc}", provider) from exc
    try:
        handoff()
        try:
            connection.request(method, path, body, dict(headers))
            response = connection.getresponse()
            content = response.read(MAX_RESPONSE_BYTES)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise AmbiguousProviderError(f"no answer from {host}: {exc}", provider) from exc
        return HttpResult(
            response.status, {k.lower(): v for k, v in response.getheaders()}, content
        )
    finally:
        connection.close()


def raise_for_status(
    result: HttpResult,
    provider: str,
    detail: str = "",
    retryable: Collection[int] = RETRYABLE_STATUS,
) -> None:
    """Nothing for 2xx; 5xx and ``retryable`` raise retryable (with Retry-After); else permanent."""
    if result.ok:
        return
    error = f"HTTP {result.status} from {provider}" + (f": {detail}" if detail else "")
    if result.status >= 500 or result.status in retryable:
        raise RetryableProviderError(
            error, provider, str(result.status), retry_after_seconds(result.headers)
        )
    raise PermanentProviderError(error, provider, str(result.status))
