"""A fetch-data step's HTTP call, through the providers' one SSRF-checked exchange.

The destination is checked as a webhook's is: its name resolved once and refused if
any address is private, loopback, link-local or metadata (unless the deployment allows
private destinations, as the local stack does), redirects not followed, each wait
and the whole answer bounded in time, and the answer read no further than
``MAX_FETCH_ANSWER_BYTES``. A failure is the step's, with its reason: nothing is
retried.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Protocol
from urllib.parse import urlsplit

from herald.domain.automation import FetchWebhook
from herald.domain.headers import header_problem
from herald.domain.send import storable
from herald.errors import ProviderError, ValidationFailed
from herald.providers.addresses import is_public
from herald.providers.http import Resolver, exchange, system_resolver
from herald.redaction import error_text

MAX_FETCH_ANSWER_BYTES = 64 * 1024
# The whole call, however the server paces its bytes: a step holds its function's instance.
FETCH_WITHIN_S = 15.0
PROVIDER = "fetch-data"


class FetchFailed(Exception):
    """Why a fetch-data step's call failed; stored as the step's error."""


class DataFetcher(Protocol):
    def fetch(self, webhook: FetchWebhook) -> dict[str, Any]: ...


def check_webhook(webhook: FetchWebhook, field: str, allow_private: bool) -> None:
    """What can be refused when a run is invoked: a URL that is no http(s) URL, an
    address written into it that is not public, a header that cannot be sent. A name
    resolving to a private address is only found when the step runs."""
    parts = urlsplit(webhook.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.of(f"{field}.url", "must be an http(s) URL with a host")
    host = parts.hostname
    try:
        written = ipaddress.ip_address(host)
    except ValueError:
        written = None
    private = host == "localhost" or host.endswith(".localhost")
    if written is not None and not is_public(str(written)):
        private = True
    if private and not allow_private:
        raise ValidationFailed.of(
            f"{field}.url", f"{host} is a private or reserved address; refused"
        )
    for name, value in (webhook.headers or {}).items():
        if problem := header_problem(name, value):
            raise ValidationFailed.of(f"{field}.headers", problem)


class HttpDataFetcher:
    def __init__(
        self,
        timeout_s: float = 10.0,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        max_answer_bytes: int = MAX_FETCH_ANSWER_BYTES,
        within_s: float = FETCH_WITHIN_S,
    ) -> None:
        self.timeout_s = timeout_s
        self.within_s = within_s
        self.allow_private = allow_private
        self.resolver = resolver
        self.max_answer_bytes = max_answer_bytes

    def fetch(self, webhook: FetchWebhook) -> dict[str, Any]:
        """The JSON object answered, or ``FetchFailed`` saying why not."""
        headers = {"accept": "application/json", "user-agent": "Herald"}
        if webhook.body is not None:
            headers["content-type"] = "application/json"
        headers.update(webhook.headers or {})
        try:
            result = exchange(
                webhook.url,
                webhook.method,
                (webhook.body or "").encode(),
                headers,
                lambda: None,
                PROVIDER,
                self.timeout_s,
                self.allow_private,
                self.resolver,
                max_response_bytes=self.max_answer_bytes + 1,  # one more: too much is seen
                answer_within_s=self.within_s,
            )
        except ProviderError as exc:
            raise FetchFailed(error_text(exc)) from exc
        if not result.ok:
            raise FetchFailed(f"HTTP {result.status} from {urlsplit(webhook.url).hostname}")
        if len(result.body) > self.max_answer_bytes:
            raise FetchFailed(f"answered more than {self.max_answer_bytes:,} bytes")
        try:
            answer = json.loads(result.body)
        except (ValueError, RecursionError) as exc:
            raise FetchFailed("answered no JSON") from exc
        if not isinstance(answer, dict):
            raise FetchFailed("answered JSON that is not an object")
        try:
            storable(answer)
        except ValueError as exc:
            raise FetchFailed(f"answered data Herald cannot keep: {exc}") from exc
        return answer
