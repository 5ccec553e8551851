"""Chat messages to Microsoft Teams, posted as the deployment's bot through the Bot
Framework Connector API (Courier's ``ms_teams`` recipient).

The bot's token: ``POST`` the token URL (form: ``grant_type=client_credentials``, the
app's ``client_id`` and ``client_secret``, ``scope=https://api.botframework.com/.default``),
answered ``{"access_token", "expires_in", ...}``; kept until a minute before it expires.
Then, with ``Authorization: Bearer`` and a JSON body, on the recipient's service URL:

- a ``conversation_id``: ``POST v3/conversations/{id}/activities`` with the activity
  ``{"type": "message", "text"}``, answered ``{"id"}`` (the activity's);
- a ``user_id``: first ``POST v3/conversations`` with ``{"bot": {"id": "28:<app id>"},
  "isGroup": false, "members": [{"id"}], "tenantId", "channelData": {"tenant": {"id"}}}``
  (the tenant when the recipient gives one), answered ``{"id"}`` (the personal chat, the
  same one each time), then the activity;
- a ``channel_id``: ``POST v3/conversations`` with ``{"isGroup": true, "bot",
  "channelData": {"channel": {"id"}}, "activity"}``: a new post in the channel.

The token goes only to a service URL on an allowed host (``HERALD_MSTEAMS_SERVICE_HOSTS``):
a recipient's ``service_url`` is the tenant's to give. Errors name the call and the
status, never the token.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from herald.domain.message import ChannelOutcome
from herald.errors import (
    AmbiguousProviderError,
    PermanentProviderError,
    RetryableProviderError,
)
from herald.providers.base import Dispatch, Receipt
from herald.providers.http import HttpResult, Resolver, exchange, raise_for_status, system_resolver

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
# A token is renewed this long before Microsoft says it expires.
TOKEN_MARGIN_S = 60.0
_JSON = "application/json; charset=utf-8"


class MsTeamsProvider:
    """Posts ``rendered["text"]`` to the recipient's Teams conversation, user or channel."""

    name = "msteams"
    channel = "chat"

    def __init__(
        self,
        app_id: str,
        app_password: str,
        token_url: str,
        service_url: str,
        service_hosts: Collection[str] = ("smba.trafficmanager.net",),
        timeout_s: float = 10.0,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self.app_password = app_password
        self.token_url = token_url
        self.service_url = service_url
        self.service_hosts = frozenset(host.lower() for host in service_hosts)
        self.timeout_s = timeout_s
        # Off in production; the tests and the local stack turn it on, and with it plain http.
        self.allow_private = allow_private
        self.resolver = resolver
        self.clock = clock
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        teams = dispatch.recipient.get("ms_teams") or {}
        text = str(dispatch.rendered["text"])
        service = self.checked_service(teams.get("service_url") or self.service_url)
        tenant = teams.get("tenant_id")
        if conversation := teams.get("conversation_id"):
            return self.post_activity(service, str(conversation), text, handoff)
        if user := teams.get("user_id"):
            conversation = self.personal_conversation(service, str(user), tenant)
            return self.post_activity(service, conversation, text, handoff)
        if channel := teams.get("channel_id"):
            return self.post_in_channel(service, str(channel), tenant, text, handoff)
        raise PermanentProviderError(
            "recipient has no Teams conversation_id, user_id or channel_id", self.name, "no_target"
        )

    def checked_service(self, url: object) -> str:
        """The service URL without its trailing slash, if the bot's token may go there."""
        if not isinstance(url, str) or not url:
            raise PermanentProviderError("no Teams service URL", self.name, "invalid_url")
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 -- raises ValueError for a malformed port
        except ValueError:
            raise PermanentProviderError(
                "the Teams service URL is malformed; refused", self.name, "invalid_url"
            ) from None
        schemes = {"https", "http"} if self.allow_private else {"https"}
        if parts.scheme not in schemes or any(c <= " " or c == "\x7f" for c in url):
            raise PermanentProviderError(
                f"the Teams service URL on {host or 'no host'} is not a plain https URL; refused",
                self.name,
                "invalid_url",
            )
        if host not in self.service_hosts:
            raise PermanentProviderError(
                f"{host or 'no host'} is not an allowed Teams service host; refused",
                self.name,
                "host_not_allowed",
            )
        return url.rstrip("/")

    # -- the bot's token

    def token(self) -> str:
        with self._token_lock:
            if self._token is not None and self.clock() < self._token[1]:
                return self._token[0]
            body = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self.app_password,
                    "scope": BOT_FRAMEWORK_SCOPE,
                }
            ).encode()
            answer = self._read(
                self.token_url,
                body,
                {"content-type": "application/x-www-form-urlencoded"},
                "the Bot Framework token",
                bearer=False,
            )
            token, expires_in = answer.get("access_token"), answer.get("expires_in")
            if not isinstance(token, str) or not token or not isinstance(expires_in, int):
                raise RetryableProviderError(
                    "the Bot Framework token answer has no access_token", self.name, "bad_answer"
                )
            self._token = (token, self.clock() + max(0.0, expires_in - TOKEN_MARGIN_S))
            return token

    def _forget_token(self) -> None:
        with self._token_lock:
            self._token = None

    # -- the Connector API

    def personal_conversation(self, service: str, user_id: str, tenant_id: object) -> str:
        """The bot's personal chat with the user (Teams answers the same one each time)."""
        parameters: dict[str, Any] = {
            "bot": {"id": f"28:{self.app_id}"},
            "isGroup": False,
            "members": [{"id": user_id}],
        }
        if tenant_id:
            parameters.update(tenantId=tenant_id, channelData={"tenant": {"id": tenant_id}})
        answer = self._read(
            f"{service}/v3/conversations",
            json.dumps(parameters, separators=(",", ":")).encode(),
            self._bearer(),
            "Teams' create conversation",
        )
        conversation = answer.get("id")
        if not isinstance(conversation, str) or not conversation:
            raise RetryableProviderError(
                "Teams' create conversation answered no id", self.name, "bad_answer"
            )
        return conversation

    def post_activity(
        self, service: str, conversation: str, text: str, handoff: Callable[[], None]
    ) -> Receipt:
        activity = {"type": "message", "text": text}
        url = f"{service}/v3/conversations/{quote(conversation, safe='')}/activities"
        answer = self._post(url, activity, handoff, "Teams' send to conversation")
        return Receipt(ChannelOutcome.SENT, str(answer.get("id") or "") or None)

    def post_in_channel(
        self,
        service: str,
        channel_id: str,
        tenant_id: object,
        text: str,
        handoff: Callable[[], None],
    ) -> Receipt:
        channel_data: dict[str, Any] = {"channel": {"id": channel_id}}
        if tenant_id:
            channel_data["tenant"] = {"id": tenant_id}
        parameters = {
            "isGroup": True,
            "bot": {"id": f"28:{self.app_id}"},
            "channelData": channel_data,
            "activity": {"type": "message", "text": text},
        }
        answer = self._post(
            f"{service}/v3/conversations", parameters, handoff, "Teams' create conversation"
        )
        # The new thread, and the post that opened it.
        reference = f"{answer.get('id', '')}/{answer.get('activityId', '')}"
        return Receipt(ChannelOutcome.SENT, reference)

    def _bearer(self) -> dict[str, str]:
        return {"content-type": _JSON, "authorization": f"Bearer {self.token()}"}

    def _read(
        self, url: str, body: bytes, headers: dict[str, str], what: str, *, bearer: bool = True
    ) -> dict[str, Any]:
        """A call that posts nothing to anyone: any failure of it is safe to retry."""
        try:
            result = exchange(
                url,
                "POST",
                body,
                headers,
                lambda: None,
                self.name,
                self.timeout_s,
                self.allow_private,
                self.resolver,
            )
        except AmbiguousProviderError as exc:
            raise RetryableProviderError(exc.message, self.name) from exc
        return self._answer(result, what, posts=False, bearer=bearer)

    def _post(
        self, url: str, body: dict[str, Any], handoff: Callable[[], None], what: str
    ) -> dict[str, Any]:
        result = exchange(
            url,
            "POST",
            json.dumps(body, separators=(",", ":")).encode(),
            self._bearer(),
            handoff,
            self.name,
            self.timeout_s,
            self.allow_private,
            self.resolver,
        )
        return self._answer(result, what, posts=True, bearer=True)

    def _answer(
        self, result: HttpResult, what: str, *, posts: bool, bearer: bool
    ) -> dict[str, Any]:
        """The JSON object answered, or the error it means: ``posts`` when it may have
        posted, ``bearer`` when the call carried the bot's token."""
        if result.status == 401 and bearer:
            # An expired or revoked token: nothing was posted; the next try takes a new one.
            self._forget_token()
            raise RetryableProviderError(f"HTTP 401 from {what}", self.name, "401")
        raise_for_status(result, self.name, what)
        try:
            answer = json.loads(result.body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            error_type = AmbiguousProviderError if posts else RetryableProviderError
            raise error_type(f"{what} answered no JSON object", self.name, "bad_answer")
        return answer
