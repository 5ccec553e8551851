"""Courier's Slack recipient shapes: an incoming webhook, or ``access_token`` with one of
``channel``, ``email``, ``user_id``, routed to direct_message (chat)."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from tests.unit.fakes import FakeProvider
from tests.unit.test_api import call
from tests.unit.test_send_courier_shapes import make, refusal, send

TOKEN = "xoxb-1234-5678-abcdef"


@pytest.mark.parametrize(
    "target", [{"channel": "C0123"}, {"channel": "#deploys"}, {"user_id": "U0ADA"}, {"email": "ada@example.com"}]
)  # fmt: skip
def test_a_token_and_one_target_reach_the_chat_provider(target: dict[str, str]) -> None:
    slack = FakeProvider("slack", "chat")
    api, pipeline = make(slack)
    recipient = {"access_token": TOKEN, **target}
    answer = send(
        api, to={"slack": recipient}, routing={"method": "single", "channels": ["direct_message"]}
    )
    assert answer.status == 202, answer.body
    pipeline.drain()
    [dispatch] = slack.sent
    assert dispatch.recipient["slack"] == recipient
    label = call_label(api, answer.body["requestId"])
    assert label == f"slack:{next(iter(target.values()))}"


def call_label(api: Api, message_id: str) -> str:
    return str(call(api, "GET", f"/messages/{message_id}").body["recipient"])


@pytest.mark.parametrize(
    ("slack", "reason"),
    [
        ({"access_token": TOKEN}, "one of channel, email or user_id"),
        ({"access_token": TOKEN, "channel": "C1", "user_id": "U1"}, "one of channel, email or user_id"),
        ({"channel": "C1"}, "needs incoming_webhook, or access_token"),
        ({"access_token": "secret", "channel": "C1"}, "not a Slack token"),
        ({"access_token": TOKEN + "\r\nx: y", "channel": "C1"}, "not a Slack token"),
        ({"access_token": TOKEN, "channel": "a b"}, "not a Slack channel"),
        ({"access_token": TOKEN, "user_id": "ada"}, "not a Slack user id"),
        ({"access_token": TOKEN, "email": "ada"}, "not an email address"),
        ({"incoming_webhook": {"url": "https://hooks.slack.com/x"}, "access_token": TOKEN}, "alone"),
    ],
)  # fmt: skip
def test_a_slack_recipient_that_cannot_be_sent_to_is_refused(
    slack: dict[str, Any], reason: str
) -> None:
    api, _ = make()
    field, why = refusal(send(api, to={"slack": slack}))
    assert field == "message.to.slack"
    assert reason in why


def test_a_token_at_its_limit_is_taken_and_one_past_it_refused() -> None:
    api, _ = make()
    longest = "xoxb-" + "a" * 250
    assert send(api, to={"slack": {"access_token": longest, "channel": "C1"}}).status == 202
    field, _ = refusal(send(api, to={"slack": {"access_token": longest + "a", "channel": "C1"}}))
    assert field.startswith("message.to.slack")
