"""One POST to an endpoint, through the providers' SSRF-checked HTTP exchange."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from herald.errors import PermanentProviderError, ProviderError
from herald.providers.http import Resolver, exchange, retry_after_seconds, system_resolver
from herald.redaction import error_text

# Statuses whose Retry-After says when to come back.
HONOURS_RETRY_AFTER = frozenset({429, 503})


@dataclass(frozen=True)
class PostOutcome:
    status: int | None  # None: no answer (refused, unreachable, timed out)
    error: str | None = None
    retry_after_s: float | None = None
    final: bool = False  # retrying cannot help (the destination was refused)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    def post(
        self, url: str, body: bytes, headers: dict[str, str], allow_private: bool
    ) -> PostOutcome: ...


class HttpSender:
    def __init__(self, timeout_s: float = 10.0, resolver: Resolver = system_resolver) -> None:
        self.timeout_s = timeout_s
        self.resolver = resolver

    def post(
        self, url: str, body: bytes, headers: dict[str, str], allow_private: bool
    ) -> PostOutcome:
        all_headers = {"content-type": "application/json", "user-agent": "Herald", **headers}
        try:
            result = exchange(
                url,
                "POST",
                body,
                all_headers,
                lambda: None,
                "webhooks",
                self.timeout_s,
                allow_private,
                self.resolver,
            )
        except PermanentProviderError as exc:
            return PostOutcome(None, error_text(exc), final=True)
        except ProviderError as exc:
            return PostOutcome(None, error_text(exc))
        if result.ok:
            return PostOutcome(result.status)
        retry_after = (
            retry_after_seconds(result.headers) if result.status in HONOURS_RETRY_AFTER else None
        )
        return PostOutcome(result.status, f"HTTP {result.status}", retry_after)
