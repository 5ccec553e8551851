"""The Slack provider's Web API path (Courier's ``slack: {access_token, ...}``) against a
local stand-in that checks each request as Slack documents ``chat.postMessage`` and
``users.lookupByEmail``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from herald.domain.message import ChannelOutcome
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch
from herald.providers.slack import SlackProvider
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration

TOKEN = "xoxb-1234-5678-secretSECRETsecret"
MEMBERS = {"ada@example.com": "U0ADA"}


def check(request: RecordedRequest) -> str | None:
    """The error code Slack answers a request it does not take, else None."""
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return "not_authed" if "authorization" not in request.headers else "invalid_auth"
    target = urlsplit(request.path)
    if target.path == "/api/chat.postMessage":
        if request.method != "POST":
            return "invalid_request"
        # Slack takes JSON only with the token in the header, and wants its charset.
        if request.headers.get("content-type") != "application/json; charset=utf-8":
            return "invalid_form_data"
        try:
            body = json.loads(request.body)
        except ValueError:
            return "invalid_json"
        if not isinstance(body, dict) or not isinstance(body.get("channel"), str):
            return "channel_not_found"
        if not isinstance(body.get("text"), str) or not body["text"]:
            return "no_text"
        if "token" in body:
            return "invalid_arguments"
        return None
    if target.path == "/api/users.lookupByEmail":
        if request.method != "GET" or request.body:
            return "invalid_request"
        emails = parse_qs(target.query).get("email", [])
        return None if len(emails) == 1 else "invalid_arguments"
    return "unknown_method"


@dataclass
class FakeSlackWebApi(FakeApi):
    json_content_type = "application/json; charset=utf-8"
    posted: list[dict[str, Any]] = field(default_factory=list)

    def refusal(self, request: RecordedRequest) -> Reply | None:
        code = check(request)
        if code == "unknown_method":
            return Reply(404, "unknown method")
        return Reply(200, {"ok": False, "error": code}) if code else None

    def respond(self, request: RecordedRequest) -> Reply:
        target = urlsplit(request.path)
        if target.path == "/api/users.lookupByEmail":
            email = parse_qs(target.query)["email"][0]
            if email not in MEMBERS:
                return Reply(200, {"ok": False, "error": "users_not_found"})
            return Reply(200, {"ok": True, "user": {"id": MEMBERS[email], "name": "ada"}})
        body = json.loads(request.body)
        self.posted.append(body)
        ts = f"1503435956.{len(self.posted):06d}"
        channel = "D0DM" if body["channel"].startswith("U") else body["channel"]
        return Reply(
            200,
            {"ok": True, "channel": channel, "ts": ts, "message": {"text": body["text"], "ts": ts}},
        )


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlackWebApi, SlackProvider]]:
    with serve(FakeSlackWebApi()) as fake:
        yield fake, SlackProvider(allow_private=True, api_base_url=f"{fake.url}/api")


def dispatch(**target: str) -> Dispatch:
    return Dispatch(
        message_id="m1",
        attempt_key="m1-chat-1",
        recipient={"slack": {"access_token": TOKEN, **target}},
        rendered={"text": "*Deploy*\nDone"},
    )


def test_a_channel_gets_the_message_with_the_token_in_the_header(
    slack: tuple[FakeSlackWebApi, SlackProvider],
) -> None:
    fake, provider = slack
    handed_off: list[bool] = []
    receipt = provider.send(dispatch(channel="C0123"), lambda: handed_off.append(True))
    assert (receipt.outcome, receipt.reference) == (ChannelOutcome.SENT, "C0123/1503435956.000001")
    assert fake.posted == [{"channel": "C0123", "text": "*Deploy*\nDone"}]
    [request] = fake.requests
    assert check(request) is None
    assert handed_off == [True]


def test_a_user_id_is_the_channel_slack_opens_a_direct_message_in(
    slack: tuple[FakeSlackWebApi, SlackProvider],
) -> None:
    fake, provider = slack
    receipt = provider.send(dispatch(user_id="U0ADA"), lambda: None)
    assert receipt.reference == "D0DM/1503435956.000001"
    assert fake.posted[0]["channel"] == "U0ADA"


def test_an_email_is_looked_up_then_messaged(
    slack: tuple[FakeSlackWebApi, SlackProvider],
) -> None:
    fake, provider = slack
    provider.send(dispatch(email="ada@example.com"), lambda: None)
    lookup, post = fake.requests
    assert (lookup.method, lookup.path) == (
        "GET",
        "/api/users.lookupByEmail?email=ada%40example.com",
    )
    assert check(lookup) is None and check(post) is None
    assert fake.posted == [{"channel": "U0ADA", "text": "*Deploy*\nDone"}]


def test_an_address_slack_does_not_know_is_permanent_and_nothing_is_posted(
    slack: tuple[FakeSlackWebApi, SlackProvider],
) -> None:
    fake, provider = slack
    with pytest.raises(PermanentProviderError) as refused:
        provider.send(dispatch(email="bob@example.com"), lambda: None)
    assert (refused.value.code, str(refused.value)) == (
        "users_not_found",
        "Slack's users.lookupByEmail: users_not_found",
    )
    assert fake.posted == []


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [
        (Reply(200, {"ok": False, "error": "channel_not_found"}), PermanentProviderError, "channel_not_found"),
        (Reply(200, {"ok": False, "error": "not_in_channel"}), PermanentProviderError, "not_in_channel"),
        (Reply(200, {"ok": False, "error": "ratelimited"}), RetryableProviderError, "ratelimited"),
        (Reply(200, {"ok": False, "error": "internal_error"}), AmbiguousProviderError, "internal_error"),
        (Reply(429, "", {"Retry-After": "30"}), RetryableProviderError, "429"),
        (Reply(503, ""), RetryableProviderError, "503"),
        (Reply(200, "not json"), AmbiguousProviderError, "bad_answer"),
    ],
)  # fmt: skip
def test_slack_s_answers_are_classified(
    slack: tuple[FakeSlackWebApi, SlackProvider],
    reply: Reply,
    error: type[Exception],
    code: str,
) -> None:
    fake, provider = slack
    fake.reply = reply
    with pytest.raises(error) as raised:
        provider.send(dispatch(channel="C0123"), lambda: None)
    assert getattr(raised.value, "code", None) == code
    if reply.status == 429:
        assert getattr(raised.value, "retry_after_s", None) == 30.0


def test_a_token_slack_refuses_is_permanent_and_never_quoted(
    slack: tuple[FakeSlackWebApi, SlackProvider],
) -> None:
    fake, provider = slack
    wrong = Dispatch(
        message_id="m1",
        attempt_key="m1-chat-1",
        recipient={"slack": {"access_token": "xoxb-wrong-token", "channel": "C0123"}},
        rendered={"text": "x"},
    )
    with pytest.raises(PermanentProviderError) as refused:
        provider.send(wrong, lambda: None)
    assert refused.value.code == "invalid_auth"
    assert "xoxb" not in str(refused.value)
    assert fake.posted == []


def test_the_web_api_is_reached_only_through_the_ssrf_checks() -> None:
    # Without allow_private, the stand-in's loopback address is refused before connecting.
    with serve(FakeSlackWebApi()) as fake:
        provider = SlackProvider(api_base_url=f"{fake.url}/api")
        with pytest.raises(PermanentProviderError, match="private or reserved"):
            provider.send(dispatch(channel="C0123"), lambda: None)
        assert fake.requests == []
