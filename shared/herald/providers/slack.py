"""Chat messages through Slack incoming webhooks.

``POST https://hooks.slack.com/services/...`` with a JSON ``{"text": ...}``; Slack answers
200 ``ok``, or an error status whose plain-text body names the problem
(``invalid_payload``, ``channel_not_found``, ``channel_is_archived``, ...).
The webhook URL is a credential: errors name its host, never the URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

from herald.domain.message import ChannelOutcome
from herald.errors import PermanentProviderError, ProviderError
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import Resolver, exchange, raise_for_status, system_resolver

_ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# http.client refuses these in a path with an error that quotes the whole URL, after the
# handoff; urlsplit silently drops tabs and newlines.
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")


class SlackProvider:
    """Posts ``rendered["text"]`` to ``recipient["slack"]["incoming_webhook"]["url"]``."""

    name = "slack"
    channel = "chat"

    def __init__(
        self,
        timeout_s: float = 10.0,
        allow_private: bool = False,
        allowed_hosts: Collection[str] = ("hooks.slack.com",),
        resolver: Resolver = system_resolver,
    ) -> None:
        self.timeout_s = timeout_s
        self.resolver = resolver
        # Off in production; the tests and the local stack turn it on, and with it plain http.
        self.allow_private = allow_private
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)

    def checked_url(self, url: object) -> tuple[str, str]:
        """``(url, host)`` for a webhook URL Herald may post to; refuses anything else."""
        if not isinstance(url, str) or not url:
            raise PermanentProviderError("recipient has no Slack webhook URL", self.name, "no_url")
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 -- raises ValueError for a malformed port
        except ValueError:
            raise PermanentProviderError(
                "the Slack webhook URL is malformed; refused", self.name, "invalid_url"
            ) from None
        schemes = {"https", "http"} if self.allow_private else {"https"}
        if parts.scheme not in schemes:
            raise PermanentProviderError(
                f"the Slack webhook URL for {host or 'no host'} is not https; refused",
                self.name,
                "invalid_url",
            )
        if host not in self.allowed_hosts:
            raise PermanentProviderError(
                f"{host or 'no host'} is not an allowed Slack webhook host; refused",
                self.name,
                "host_not_allowed",
            )
        if _UNSENDABLE.search(url):
            raise PermanentProviderError(
                f"the Slack webhook URL for {host} has a space or control character; refused",
                self.name,
                "invalid_url",
            )
        return url, host

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        webhook = (dispatch.recipient.get("slack") or {}).get("incoming_webhook") or {}
        url, host = self.checked_url(webhook.get("url"))
        result = exchange(
            url,
            "POST",
            json.dumps({"text": dispatch.rendered["text"]}, separators=(",", ":")).encode(),
            {"content-type": "application/json"},
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
            self.resolver,
        )
        if not result.ok:
            text = result.body.decode("utf-8", "replace").strip()
            code = text if _ERROR_CODE.match(text) else ""
            try:
                raise_for_status(result, self.name, f"{code or 'error'} (webhook on {host})")
            except ProviderError as error:
                error.code = code or error.code
                raise
        # Slack confirms only that it took the message, not that anyone saw it.
        return Receipt(ChannelOutcome.SENT, None)
