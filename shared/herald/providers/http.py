"""One HTTP exchange with a provider, classified the same way for every HTTP provider.

Every outbound HTTP request Herald makes (webhooks, customer webhooks, Slack and
the other providers) goes through ``exchange``:

- The destination's name is resolved once, and refused if any address it has is
  not globally reachable (SSRF: private, loopback, link-local, metadata, shared,
  reserved, or an IPv6 form that leads to one of those), unless private
  addresses are allowed.
- The connection is made to an address that was checked, never to the name
  resolved again: a DNS answer that changes in between (rebinding) reaches
  nothing it was not checked for. The ``Host`` header, TLS server name (SNI) and
  certificate check still use the name.
- A failure before the connection is open is retryable: nothing left.
- ``handoff`` is called once the connection is open, just before the request.
- No answer after that is ambiguous: the provider may have the message.
- Redirects are not followed; the response body is read up to a cap.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
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


# Resolves a host name to its addresses, in the order to try them: the system's
# resolver in production, a scripted one in tests (a DNS answer that changes).
Resolver = Callable[[str, int], Sequence[str]]
# A hostile name may resolve to many silent addresses: each costs a connect timeout.
MAX_ADDRESSES_TRIED = 3


def system_resolver(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


@functools.cache
def _system_trust() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connect(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers."""
    error: OSError | None = None
    for address in addresses[:MAX_ADDRESSES_TRIED]:
        try:
            sock = socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error or OSError("no address to connect to")


class _PinnedHttp(http.client.HTTPConnection):
    """Connects to addresses already checked; ``host`` stays the name (the Host header)."""

    def __init__(self, host: str, port: int, addresses: Sequence[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedHttps(http.client.HTTPSConnection):
    """As ``_PinnedHttp``, with TLS: the server name and the certificate check use ``host``."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Sequence[str],
        timeout: float,
        tls: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=tls)
        self.addresses = addresses
        self.tls = tls

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def exchange(
    url: str,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    handoff: Callable[[], None],
    provider: str,
    timeout_s: float = 10.0,
    allow_private: bool = False,
    resolver: Resolver = system_resolver,
    tls: ssl.SSLContext | None = None,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    answer_within_s: float | None = None,
) -> HttpResult:
    """``tls``: the trust to verify servers with; None is the system's. The body is read
    up to ``max_response_bytes``: what is past it is left unread. ``timeout_s`` bounds
    each wait; ``answer_within_s`` bounds the whole answer (a server that sends a byte
    at a time is cut off)."""
    for name, value in headers.items():
        if problem := header_problem(name, value):
            raise PermanentProviderError(problem, provider)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    if parts.scheme not in ("http", "https"):
        raise PermanentProviderError(f"{parts.scheme or 'no'} scheme; only http(s)", provider)
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    try:
        addresses = list(resolver(host, port))
    except OSError as exc:
        raise RetryableProviderError(f"cannot resolve {host}: {exc}", provider) from exc
    if not addresses:
        raise RetryableProviderError(f"cannot resolve {host}: no address", provider)
    if not allow_private and not all(is_public(a) for a in addresses):
        raise PermanentProviderError(
            f"{host} resolves to a private or reserved address; refused", provider
        )
    connection: http.client.HTTPConnection = (
        _PinnedHttps(host, port, addresses, timeout_s, tls or _system_trust())
        if https
        else _PinnedHttp(host, port, addresses, timeout_s)
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()
    except OSError as exc:
        raise RetryableProviderError(
            f"cannot connect to {host} ({', '.join(addresses[:MAX_ADDRESSES_TRIED])})"
            f" port {port}: {exc}",
            provider,
        ) from exc
    cutoff = (
        _Cutoff(connection.sock, answer_within_s)
        if answer_within_s is not None and connection.sock is not None
        else None
    )
    try:
        handoff()
        try:
            connection.request(method, path, body, dict(headers))
            response = connection.getresponse()
            content = response.read(max_response_bytes)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if cutoff is not None and cutoff.expired:
                raise cutoff.error(host, provider) from exc
            raise AmbiguousProviderError(f"no answer from {host}: {exc}", provider) from exc
        if cutoff is not None and cutoff.expired:  # what was read before the cut is not all
            raise cutoff.error(host, provider)
        return HttpResult(
            response.status, {k.lower(): v for k, v in response.getheaders()}, content
        )
    finally:
        if cutoff is not None:
            cutoff.timer.cancel()
        connection.close()


class _Cutoff:
    """Shuts an exchange's socket down when its time is up: a read blocked in it returns."""

    # The socket itself: a response that closes the connection takes it from the
    # connection (``connection.sock`` is then None) and reads it still.
    def __init__(self, sock: socket.socket, within_s: float) -> None:
        self.sock = sock
        self.within_s = within_s
        self.expired = False
        self.timer = threading.Timer(within_s, self._cut)
        self.timer.daemon = True
        self.timer.start()

    def _cut(self) -> None:
        self.expired = True
        with contextlib.suppress(OSError):  # already closed
            self.sock.shutdown(socket.SHUT_RDWR)

    def error(self, host: str, provider: str) -> AmbiguousProviderError:
        return AmbiguousProviderError(
            f"no complete answer from {host} within {self.within_s:g}s", provider
        )


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
