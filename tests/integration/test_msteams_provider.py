"""The Teams provider against a local stand-in that checks each request as Microsoft
documents the Bot Framework token endpoint (client credentials) and the Connector API's
create conversation and send to conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest

from herald.domain.message import ChannelOutcome
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch
from herald.providers.msteams import BOT_FRAMEWORK_SCOPE, MsTeamsProvider
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration

APP_ID = "8a7c0f2e-0000-4000-8000-000000000001"
PASSWORD = "bot-client-secret~value"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TOKEN_PATH = "/botframework.com/oauth2/v2.0/token"
CONVERSATIONS = "/teams/v3/conversations"


def token_problem(request: RecordedRequest) -> str | None:
    """The OAuth error the token endpoint answers a request it does not take, else None."""
    if request.method != "POST":
        return "invalid_request"
    if request.headers.get("content-type") != "application/x-www-form-urlencoded":
        return "invalid_request"
    form = {k: v for k, [v] in parse_qs(request.body.decode()).items()}
    if form.get("grant_type") != "client_credentials" or form.get("scope") != BOT_FRAMEWORK_SCOPE:
        return "invalid_request"
    if (form.get("client_id"), form.get("client_secret")) != (APP_ID, PASSWORD):
        return "invalid_client"
    return None


def conversation_problem(body: Any) -> str | None:
    """Why the Connector API refuses these ConversationParameters (BadArgument), else None."""
    if not isinstance(body, dict) or body.get("bot") != {"id": f"28:{APP_ID}"}:
        return "the bot must be the caller's, 28:<app id>"
    if "activity" in body:  # a new post in a channel
        channel = (body.get("channelData") or {}).get("channel") or {}
        activity = body["activity"]
        if body.get("isGroup") is not True or not isinstance(channel.get("id"), str):
            return "a channel conversation is a group with channelData.channel.id"
        if activity.get("type") != "message" or not isinstance(activity.get("text"), str):
            return "the activity must be a message with text"
        return None
    members = body.get("members")
    if body.get("isGroup") is not False or not isinstance(members, list) or len(members) != 1:
        return "a personal conversation has one member"
    tenant = body.get("tenantId")
    if body.get("channelData", {}) != ({"tenant": {"id": tenant}} if tenant else {}):
        return "channelData.tenant must be the conversation's tenantId"
    return None


@dataclass
class FakeBotFramework(FakeApi):
    """Microsoft's token endpoint and a Teams Connector service, on one local server."""

    issued: int = 0
    conversations: set[str] = field(default_factory=lambda: {"a:1existing"})
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def refusal(self, request: RecordedRequest) -> Reply | None:
        if request.path == TOKEN_PATH:
            error = token_problem(request)
            return (
                Reply(401 if error == "invalid_client" else 400, {"error": error})
                if error
                else None
            )
        if request.headers.get("authorization") != f"Bearer token-{self.issued}" or not self.issued:
            return Reply(401, {"message": "Authorization has been denied for this request."})
        if request.method != "POST" or not request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return Reply(400, {"error": {"code": "BadSyntax", "message": "JSON expected"}})
        body = json.loads(request.body)
        if request.path == CONVERSATIONS:
            if problem := conversation_problem(body):
                return Reply(400, {"error": {"code": "BadArgument", "message": problem}})
            return None
        prefix, suffix = f"{CONVERSATIONS}/", "/activities"
        if not (request.path.startswith(prefix) and request.path.endswith(suffix)):
            return Reply(404, {"error": {"code": "NotFound", "message": "no such resource"}})
        conversation = unquote(request.path[len(prefix) : -len(suffix)])
        if conversation not in self.conversations:
            return Reply(404, {"error": {"code": "ConversationNotFound", "message": "gone"}})
        if body.get("type") != "message" or not isinstance(body.get("text"), str):
            return Reply(400, {"error": {"code": "BadArgument", "message": "a message"}})
        return None

    def respond(self, request: RecordedRequest) -> Reply:
        if request.path == TOKEN_PATH:
            self.issued += 1
            return Reply(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": f"token-{self.issued}",
                },
            )
        body = json.loads(request.body)
        if request.path == CONVERSATIONS and "activity" in body:
            channel = body["channelData"]["channel"]["id"]
            self.posted.append((channel, body["activity"]))
            number = len(self.posted)
            return Reply(201, {"id": f"{channel};messageid={number}", "activityId": str(number)})
        if request.path == CONVERSATIONS:
            conversation = f"a:1personal-{body['members'][0]['id']}"
            self.conversations.add(conversation)
            return Reply(201, {"id": conversation})
        conversation = unquote(request.path[len(CONVERSATIONS) + 1 : -len("/activities")])
        self.posted.append((conversation, body))
        return Reply(201, {"id": f"1:{len(self.posted)}"})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def teams() -> Iterator[tuple[FakeBotFramework, MsTeamsProvider, Clock]]:
    clock = Clock()
    with serve(FakeBotFramework()) as fake:
        provider = MsTeamsProvider(
            app_id=APP_ID,
            app_password=PASSWORD,
            token_url=f"{fake.url}{TOKEN_PATH}",
            service_url=f"{fake.url}/teams/",
            service_hosts=("127.0.0.1",),
            allow_private=True,
            clock=clock,
        )
        yield fake, provider, clock


def dispatch(**target: str) -> Dispatch:
    return Dispatch(
        message_id="m1",
        attempt_key="m1-chat-1",
        recipient={"ms_teams": target},
        rendered={"text": "**Deploy**\nDone"},
    )


Teams = tuple[FakeBotFramework, MsTeamsProvider, Clock]


def test_a_conversation_gets_the_activity_with_the_bot_s_token(teams: Teams) -> None:
    fake, provider, _ = teams
    handed_off: list[int] = []
    receipt = provider.send(
        dispatch(conversation_id="a:1existing", tenant_id=TENANT),
        lambda: handed_off.append(len(fake.requests)),
    )
    assert (receipt.outcome, receipt.reference) == (ChannelOutcome.SENT, "1:1")
    assert fake.posted == [("a:1existing", {"type": "message", "text": "**Deploy**\nDone"})]
    token, post = fake.requests
    assert (token.path, post.path) == (TOKEN_PATH, f"{CONVERSATIONS}/a%3A1existing/activities")
    assert handed_off == [1]  # just before the post, after the token


def test_a_user_s_personal_chat_is_opened_then_messaged_and_only_the_post_is_a_handoff(
    teams: Teams,
) -> None:
    fake, provider, _ = teams
    handed_off: list[int] = []
    provider.send(
        dispatch(user_id="29:1ada", tenant_id=TENANT), lambda: handed_off.append(len(fake.requests))
    )
    _, opened, _ = fake.requests
    assert json.loads(opened.body) == {
        "bot": {"id": f"28:{APP_ID}"},
        "isGroup": False,
        "members": [{"id": "29:1ada"}],
        "tenantId": TENANT,
        "channelData": {"tenant": {"id": TENANT}},
    }
    assert fake.posted == [("a:1personal-29:1ada", {"type": "message", "text": "**Deploy**\nDone"})]
    assert handed_off == [2]


def test_a_user_given_with_only_a_service_url_is_opened_without_a_tenant(teams: Teams) -> None:
    fake, provider, _ = teams
    provider.send(dispatch(user_id="29:1bob", service_url=f"{fake.url}/teams/"), lambda: None)
    _, opened, _ = fake.requests
    assert json.loads(opened.body) == {
        "bot": {"id": f"28:{APP_ID}"},
        "isGroup": False,
        "members": [{"id": "29:1bob"}],
    }
    assert [conversation for conversation, _ in fake.posted] == ["a:1personal-29:1bob"]


def test_a_channel_gets_a_new_post_in_one_call(teams: Teams) -> None:
    fake, provider, _ = teams
    receipt = provider.send(dispatch(channel_id="19:c0ffee@thread.tacv2"), lambda: None)
    assert receipt.reference == "19:c0ffee@thread.tacv2;messageid=1/1"
    assert fake.posted == [
        ("19:c0ffee@thread.tacv2", {"type": "message", "text": "**Deploy**\nDone"})
    ]


def test_the_token_is_kept_until_a_minute_before_it_expires(teams: Teams) -> None:
    fake, provider, clock = teams
    target = {"conversation_id": "a:1existing", "tenant_id": TENANT}
    provider.send(dispatch(**target), lambda: None)
    clock.now += 3599 - 60 - 1
    provider.send(dispatch(**target), lambda: None)
    assert fake.issued == 1
    clock.now += 1
    provider.send(dispatch(**target), lambda: None)
    assert fake.issued == 2


def test_a_token_the_service_refuses_is_dropped_and_the_try_is_retryable(teams: Teams) -> None:
    fake, provider, _ = teams
    target = {"conversation_id": "a:1existing", "tenant_id": TENANT}
    provider.send(dispatch(**target), lambda: None)
    fake.issued += 1  # revoked: the service now takes only a newer token
    with pytest.raises(RetryableProviderError) as refused:
        provider.send(dispatch(**target), lambda: None)
    assert refused.value.code == "401"
    fake.issued -= 1
    provider.send(dispatch(**target), lambda: None)
    assert fake.issued == 2 and len(fake.posted) == 2


def test_wrong_credentials_are_permanent_and_never_quoted(teams: Teams) -> None:
    fake, provider, _ = teams
    provider.app_password = "wrong-secret-value"
    with pytest.raises(PermanentProviderError) as refused:
        provider.send(dispatch(channel_id="19:c"), lambda: None)
    assert refused.value.code == "401"
    assert "wrong-secret-value" not in str(refused.value)
    assert fake.posted == []


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [
        (Reply(404, {"error": {"code": "ConversationNotFound"}}), PermanentProviderError, "404"),
        (Reply(403, {"error": {"code": "BotNotInConversationRoster"}}), PermanentProviderError, "403"),
        (Reply(429, {}, {"Retry-After": "30"}), RetryableProviderError, "429"),
        (Reply(503, ""), RetryableProviderError, "503"),
        (Reply(201, "not json"), AmbiguousProviderError, "bad_answer"),
    ],
)  # fmt: skip
def test_the_connector_s_answers_are_classified(
    teams: Teams, reply: Reply, error: type[Exception], code: str
) -> None:
    fake, provider, _ = teams
    provider.token()  # the token first, then every call gets the scripted answer
    fake.reply = reply
    with pytest.raises(error) as raised:
        provider.send(dispatch(conversation_id="a:1existing", tenant_id=TENANT), lambda: None)
    assert getattr(raised.value, "code", None) == code
    if reply.status == 429:
        assert getattr(raised.value, "retry_after_s", None) == 30.0


@pytest.mark.parametrize(
    ("service_url", "code"),
    [
        ("https://attacker.example/teams/", "host_not_allowed"),
        ("ftp://127.0.0.1/teams/", "invalid_url"),
        ("http://127.0.0.1/te ams/", "invalid_url"),
    ],
)
def test_the_token_goes_only_to_an_allowed_service_host(
    teams: Teams, service_url: str, code: str
) -> None:
    fake, provider, _ = teams
    with pytest.raises(PermanentProviderError) as refused:
        provider.send(dispatch(channel_id="19:c", service_url=service_url), lambda: None)
    assert refused.value.code == code
    assert fake.requests == []  # not even the token was asked for


def test_the_service_is_reached_only_through_the_ssrf_checks() -> None:
    # Without allow_private, the stand-in's loopback address is refused before connecting.
    with serve(FakeBotFramework()) as fake:
        provider = MsTeamsProvider(
            app_id=APP_ID,
            app_password=PASSWORD,
            token_url=f"{fake.url}{TOKEN_PATH}",
            service_url="https://127.0.0.1/teams/",
            service_hosts=("127.0.0.1",),
        )
        with pytest.raises(PermanentProviderError, match="private or reserved"):
            provider.send(dispatch(channel_id="19:c"), lambda: None)
        assert fake.requests == []
