"""Chat messages through Slack: incoming webhooks, or the Web API with a recipient's token.

An incoming webhook: ``POST https://hooks.slack.com/services/...`` with a JSON
``{"text": ...}``; Slack answers 200 ``ok``, or an error status whose plain-text body
names the problem (``invalid_payload``, ``channel_not_found``, ...). The webhook URL is
a credential: errors name its host, never the URL.

The Web API (Courier's ``slack: {access_token, channel | user_id | email}``):
``POST https://slack.com/api/chat.postMessage`` with the token as ``Authorization:
Bearer``, a JSON body ``{"channel", "text"}`` (``Content-type: application/json;
charset=utf-8``); an ``email`` is first looked up with ``GET users.lookupByEmail``. Slack
answers HTTP 200 ``{"ok": true, "channel", "ts", ...}``, or ``{"ok": false, "error":
"<code>"}``, or 429 with ``Retry-After`` when rate limited. Errors name the method and
Slack's code, never the token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote, urlsplit

from herald.domain.message import ChannelOutcome
from herald.errors import (
    AmbiguousProviderError,
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
)
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import (
    HttpResult,
    Resolver,
    exchange,
    raise_for_status,
    system_resolver,
)

_ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# http.client refuses these in a path with an error that quotes the whole URL, after the
# handoff; urlsplit silently drops tabs and newlines.
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")
# The Web API's codes worth another try; internal_error and fatal_error may have posted.
_WEB_API_RETRYABLE = frozenset({"ratelimited", "service_unavailable"})
_WEB_API_UNCERTAIN = frozenset({"internal_error", "fatal_error"})
JSON_UTF8 = "application/json; charset=utf-8"


class SlackProvider:
    """Posts ``rendered["text"]`` to the recipient's incoming webhook, or with its token
    through the Web API."""

    name = "slack"
    channel = "chat"

    def __init__(
        self,
        timeout_s: float = 10.0,
        allow_private: bool = False,
        allowed_hosts: Collection[str] = ("hooks.slack.com",),
        resolver: Resolver = system_resolver,
        api_base_url: str = "https://slack.com/api",
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
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
        slack = dispatch.recipient.get("slack") or {}
        if slack.get("access_token"):
            return self.post_message(slack, dispatch.rendered["text"], handoff)
        webhook = slack.get("incoming_webhook") or {}
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

    # -- the Web API

    def post_message(
        self, slack: dict[str, Any], text: str, handoff: Callable[[], None]
    ) -> Receipt:
        token = str(slack["access_token"])
        channel = slack.get("channel") or slack.get("user_id")
        if not channel:
            channel = self.user_of(token, str(slack.get("email", "")))
        result = exchange(
            f"{self.api_base_url}/chat.postMessage",
            "POST",
            json.dumps({"channel": channel, "text": text}, separators=(",", ":")).encode(),
            {"content-type": JSON_UTF8, "authorization": f"Bearer {token}"},
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
            self.resolver,
        )
        answer = self.answer(result, "chat.postMessage", posts=True)
        # Slack confirms it took the message: the channel and ts name it there.
        return Receipt(ChannelOutcome.SENT, f"{answer.get('channel', '')}/{answer.get('ts', '')}")

    def user_of(self, token: str, email: str) -> str:
        """The id of the workspace member with this address (``users.lookupByEmail``)."""
        try:
            result = exchange(
                f"{self.api_base_url}/users.lookupByEmail?email={quote(email, safe='')}",
                "GET",
                b"",
                {"authorization": f"Bearer {token}"},
                lambda: None,  # a read: nothing is handed off
                self.name,
                self.timeout_s,
                self.allow_private,
                self.resolver,
            )
        except AmbiguousProviderError as exc:
            raise RetryableProviderError(exc.message, self.name) from exc
        user = self.answer(result, "users.lookupByEmail", posts=False).get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, str) or not user_id:
            raise PermanentProviderError(
                "users.lookupByEmail answered no user id", self.name, "no_user"
            )
        return user_id

    def answer(self, result: HttpResult, method: str, *, posts: bool) -> dict[str, Any]:
        """Slack's answer, or the error it means: ``posts`` when the call may have posted."""
        raise_for_status(result, self.name, f"Slack's {method}")
        try:
            answer = json.loads(result.body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            error_type = AmbiguousProviderError if posts else RetryableProviderError
            raise error_type(f"Slack's {method} answered no JSON object", self.name, "bad_answer")
        if answer.get("ok") is True:
            return answer
        found = answer.get("error")
        code = found if isinstance(found, str) and _ERROR_CODE.match(found) else "error"
        message = f"Slack's {method}: {code}"
        if code in _WEB_API_RETRYABLE:
            raise RetryableProviderError(message, self.name, code)
        if code in _WEB_API_UNCERTAIN:
            error_type = AmbiguousProviderError if posts else RetryableProviderError
            raise error_type(message, self.name, code)
        raise PermanentProviderError(message, self.name, code)
