"""Courier's Microsoft Teams recipient shapes: a conversation, a user or a channel, routed
to direct_message (chat) through the Teams provider; the shapes that take Microsoft Graph
(an email, a channel's name) are refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from herald.domain.send import MAX_TEAMS_ID_CHARS, MAX_URL_LENGTH
from tests.unit.fakes import FakeProvider
from tests.unit.test_api import call
from tests.unit.test_send_courier_shapes import make, refusal, send

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SERVICE = "https://smba.trafficmanager.net/amer/"
DIRECT = {"method": "single", "channels": ["direct_message"]}


@pytest.mark.parametrize(
    ("teams", "label"),
    [
        ({"conversation_id": "a:1xyz", "service_url": SERVICE, "tenant_id": TENANT}, "msteams:a:1xyz"),
        ({"user_id": "29:1abc", "tenant_id": TENANT}, "msteams:29:1abc"),
        ({"user_id": "29:1abc", "tenant_id": TENANT, "service_url": SERVICE}, "msteams:29:1abc"),
        ({"user_id": "29:1abc", "service_url": SERVICE}, "msteams:29:1abc"),
        ({"channel_id": "19:c0ffee@thread.tacv2"}, "msteams:19:c0ffee@thread.tacv2"),
    ],
)  # fmt: skip
def test_each_shape_reaches_the_teams_provider(teams: dict[str, str], label: str) -> None:
    slack, msteams = FakeProvider("slack", "chat"), FakeProvider("msteams", "chat")
    api, pipeline = make(slack, msteams)
    answer = send(api, to={"ms_teams": teams}, routing=DIRECT)
    assert answer.status == 202, answer.body
    pipeline.drain()
    [dispatch] = msteams.sent
    assert dispatch.recipient["ms_teams"] == teams
    # Slack is the chat channel's first provider, but it cannot reach a Teams address.
    assert slack.calls == 0
    shown = call(api, "GET", f"/messages/{answer.body['requestId']}").body
    assert (shown["status"], shown["recipient"]) == ("SENT", label)


def test_a_recipient_with_both_gets_the_first_provider_that_reaches_it() -> None:
    slack, msteams = FakeProvider("slack", "chat"), FakeProvider("msteams", "chat")
    api, pipeline = make(slack, msteams)
    both = {
        "slack": {"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/x"}},
        "ms_teams": {"channel_id": "19:c0ffee@thread.tacv2"},
    }
    pinned = {"chat": {"providers": ["msteams"]}}
    assert send(api, to=both, routing=DIRECT, channels=pinned).status == 202
    pipeline.drain()
    assert (slack.calls, msteams.calls) == (0, 1)


def test_a_profile_keeps_a_teams_address_for_a_user_s_sends() -> None:
    msteams = FakeProvider("msteams", "chat")
    api, pipeline = make(msteams)
    teams = {"user_id": "29:1abc", "tenant_id": TENANT}
    stored = call(api, "POST", "/profiles/ada", {"profile": {"ms_teams": teams}})
    assert stored.status == 200, stored.body
    assert send(api, to={"user_id": "ada"}, routing=DIRECT).status == 202
    pipeline.drain()
    assert msteams.sent[0].recipient["ms_teams"] == teams


@pytest.mark.parametrize(
    ("teams", "reason"),
    [
        ({"email": "ada@example.com"}, "email is not supported: finding a Teams user by address takes Microsoft Graph"),
        ({"channel_name": "General", "team_id": "19:team"}, "channel_name is not supported"),
        ({"channel_id": "19:c", "team_id": "19:team"}, "team_id goes only with channel_name"),
        ({"tenant_id": TENANT}, "needs one of conversation_id, user_id, channel_id"),
        ({"user_id": "29:1", "channel_id": "19:c"}, "needs one of"),
        ({"user_id": "29:1abc"}, "a user_id goes with a tenant_id or a service_url"),
        ({"conversation_id": "a:1", "tenant_id": TENANT}, "goes with its service_url and tenant_id"),
        ({"channel_id": "19:c d"}, "channel_id must be a Bot Framework id"),
        ({"channel_id": "19:c", "tenant_id": "../x"}, "tenant_id must be a directory id"),
        ({"channel_id": "19:c", "service_url": "ftp://smba.trafficmanager.net/"}, "https:// URL"),
        ({"channel_id": "19:c", "service_url": "https://u:p@smba.trafficmanager.net/"}, "no credentials"),
        ({"channel_id": "19:c", "bot_id": "28:x"}, "is not a known field"),
    ],
)  # fmt: skip
def test_a_teams_recipient_that_cannot_be_sent_to_is_refused_with_the_reason(
    teams: dict[str, Any], reason: str
) -> None:
    api, pipeline = make()
    field, why = refusal(send(api, to={"ms_teams": teams}))
    assert field.startswith("message.to.ms_teams")
    assert reason in why
    assert pipeline.messages.messages == {}


def test_ids_are_taken_to_their_limit_and_refused_past_it() -> None:
    api, _ = make()
    longest = "19:" + "c" * (MAX_TEAMS_ID_CHARS - 3)
    assert send(api, to={"ms_teams": {"channel_id": longest}}).status == 202
    field, _ = refusal(send(api, to={"ms_teams": {"channel_id": longest + "c"}}))
    assert field.startswith("message.to.ms_teams")


def test_a_teams_broadcast_reaches_each_subscriber_s_teams_address() -> None:
    slack, msteams = FakeProvider("slack", "chat"), FakeProvider("msteams", "chat")
    api, pipeline = make(slack, msteams)
    for name in ("ada", "bob"):
        teams = {"user_id": f"29:1{name}", "tenant_id": TENANT}
        profile = {"profile": {"email": f"{name}@example.com", "ms_teams": teams}}
        assert call(api, "POST", f"/profiles/{name}", profile).status == 200
    recipients = {"recipients": [{"recipientId": "ada"}, {"recipientId": "bob"}]}
    assert call(api, "POST", "/lists/team/subscriptions", recipients).status == 204
    made = call(api, "POST", "/broadcasts", {"name": "Outage", "channel": "msteams"})
    assert made.status == 201, made.body
    text = {"content": {"version": "2022-01-01", "elements": [{"type": "text", "content": "Down"}]}}
    assert call(api, "PUT", f"/broadcasts/{made.body['id']}/content", text).status == 200
    to_team = {"recipient_id": "team", "recipient_type": "list"}
    assert call(api, "POST", f"/broadcasts/{made.body['id']}/send", to_team).status == 200
    pipeline.drain()
    reached = sorted(d.recipient["ms_teams"]["user_id"] for d in msteams.sent)
    assert reached == ["29:1ada", "29:1bob"]
    assert {d.rendered["text"] for d in msteams.sent} == {"Down"}
    assert (slack.calls, pipeline.email.calls) == (0, 0)


def test_a_service_url_and_a_tenant_are_taken_to_their_limits_and_refused_past_them() -> None:
    api, _ = make()
    url = SERVICE + "x" * (MAX_URL_LENGTH - len(SERVICE))
    tenant = "t" * 64
    at_limit = {"channel_id": "19:c", "service_url": url, "tenant_id": tenant}
    assert send(api, to={"ms_teams": at_limit}).status == 202
    for past in ({"service_url": url + "x"}, {"tenant_id": tenant + "t"}):
        field, _ = refusal(send(api, to={"ms_teams": {**at_limit, **past}}))
        assert field == f"message.to.ms_teams.{next(iter(past))}"


def test_a_channel_whose_providers_cannot_reach_the_recipient_says_so() -> None:
    slack, msteams = FakeProvider("slack", "chat"), FakeProvider("msteams", "chat")
    api, pipeline = make(slack, msteams)
    to = {"slack": {"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/x"}}}
    pinned = {"chat": {"providers": ["msteams"]}}
    answer = send(api, to=to, routing=DIRECT, channels=pinned)
    assert answer.status == 202, answer.body
    pipeline.drain()
    shown = call(api, "GET", f"/messages/{answer.body['requestId']}").body
    assert (shown["status"], shown["reason"]) == ("UNDELIVERABLE", "NO_PROVIDERS")
    assert "no provider configured for chat can reach the recipient" in str(shown)
    assert (slack.calls, msteams.calls) == (0, 0)
