"""Conformance: Courier's Python SDK drives request archiving, a message's resend, a
profile's JSON Patch and its lists, bulk preferences, audit events, webhook
authentication, Elemental's html element, and Slack and Teams recipients on the local
stack.

As in ``test_courier_sdk``: the client validates every answer against the SDK's own
models, with retries off.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import courier
import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

ENDED = frozenset({"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE", "CANCELED"})


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ended(client: Courier, message_id: str) -> Any:
    message = client.messages.retrieve(message_id)
    return message if message.status in ENDED else None


def test_an_archived_request_leaves_the_message_list(client: Courier) -> None:
    trace = uuid.uuid4().hex
    sends = [
        client.send.message(
            message={
                "to": {"email": f"{unique('archive')}@example.com"},
                "content": {"title": "T", "body": "B"},
                "metadata": {"trace_id": trace},
            }
        ).request_id
        for _ in range(2)
    ]
    kept, archived = sends

    def listed(**query: Any) -> set[str]:
        return {m.id for m in client.messages.list(trace_id=trace, **query).results}

    eventually(lambda: listed() == set(sends) or None, what="both messages listed")
    client.requests.archive(archived)
    assert listed() == {kept}
    assert listed(archived=False) == {kept}
    assert listed(archived=True) == set(sends)
    assert client.messages.retrieve(archived).id == archived
    with pytest.raises(courier.NotFoundError):
        client.requests.archive(unique("no-request"))


def test_a_message_is_resent_as_a_new_message_to_the_same_recipient(
    client: Courier, sinks: Client
) -> None:
    address = f"{unique('resent')}@example.com"
    sent = client.send.message(
        message={"to": {"email": address}, "content": {"title": "Again", "body": "B"}}
    )
    eventually(lambda: ended(client, sent.request_id), what="the first send")
    resent = client.messages.resend(sent.request_id)
    assert resent.message_id != sent.request_id
    again = eventually(lambda: ended(client, resent.message_id), what="the resend")
    assert (again.status, again.recipient) == ("SENT", address)
    mails = eventually(
        lambda: [m for m in sinks.get("/mail") if address in m["to"]][1:] or None,
        what="the second mail",
    )
    assert {m["subject"] for m in mails} == {"Again"}


def test_a_profile_is_patched_with_json_patch(client: Courier) -> None:
    user_id = unique("patched")
    client.profiles.create(user_id, profile={"email": f"{user_id}@example.com", "name": "Ada"})
    client.profiles.update(
        user_id,
        patch=[
            {"op": "replace", "path": "/name", "value": "Ada L."},
            {"op": "add", "path": "/plan", "value": "pro"},
        ],
    )
    assert client.profiles.retrieve(user_id).profile == {
        "email": f"{user_id}@example.com",
        "name": "Ada L.",
        "plan": "pro",
    }
    # A failed "test" leaves the profile as it was: the whole patch or none of it.
    with pytest.raises(courier.BadRequestError):
        client.profiles.update(
            user_id,
            patch=[
                {"op": "replace", "path": "/plan", "value": "free"},
                {"op": "test", "path": "/name", "value": "Ada"},
            ],
        )
    assert client.profiles.retrieve(user_id).profile["plan"] == "pro"


def test_a_profile_s_lists_are_joined_read_and_left(client: Courier) -> None:
    user_id = unique("member")
    first, second = unique("news"), unique("offers")
    client.lists.update(first, name="News")
    joined = client.profiles.lists.subscribe(
        user_id, lists=[{"list_id": first}, {"list_id": second}]
    )
    assert joined.status == "SUCCESS"
    mine = client.profiles.lists.retrieve(user_id)
    found = {r.id: r.name for r in mine.results}
    # The workspace's other tests make lists too: a page may be short, so walk them all.
    while mine.paging.more:
        mine = client.profiles.lists.retrieve(user_id, cursor=mine.paging.cursor)
        found |= {r.id: r.name for r in mine.results}
    assert found == {first: "News", second: second}
    subscribers = client.lists.subscriptions.list(second).items
    assert [s.recipient_id for s in subscribers] == [user_id]

    assert client.profiles.lists.delete(user_id).status == "SUCCESS"
    assert client.lists.subscriptions.list(first).items == []
    assert client.lists.retrieve(second).id == second


def test_a_user_s_preferences_are_replaced_and_updated_in_bulk(
    client: Courier, api: Client
) -> None:
    user_id = unique("chooser")
    news, offers, security = unique("news"), unique("offers"), unique("security")
    for topic_id, default in ((news, "OPTED_IN"), (offers, "OPTED_IN"), (security, "REQUIRED")):
        status, body = api.request(
            "PUT", f"/preferences/topics/{topic_id}", {"default_status": default}
        )
        assert status == 200, body
    client.users.preferences.update_or_create_topic(
        news, user_id=user_id, topic={"status": "OPTED_OUT"}
    )

    replaced = client.users.preferences.bulk_replace(
        user_id,
        topics=[
            {
                "topic_id": offers,
                "status": "OPTED_OUT",
                "has_custom_routing": True,
                "custom_routing": ["email"],
            }
        ],
    )
    assert replaced.deleted == [news]
    assert [(i.topic_id, i.status, i.custom_routing) for i in replaced.items] == [
        (offers, "OPTED_OUT", ["email"])
    ]
    assert client.users.preferences.retrieve_topic(news, user_id=user_id).topic.status == (
        "OPTED_IN"
    )

    updated = client.users.preferences.bulk_update(
        user_id,
        topics=[
            {"topic_id": news, "status": "OPTED_OUT"},
            {"topic_id": security, "status": "OPTED_OUT"},
        ],
    )
    assert [(i.topic_id, i.status) for i in updated.items] == [(news, "OPTED_OUT")]
    assert [e.topic_id for e in updated.errors] == [security]
    statuses = {
        t.topic_id: t.status
        for t in client.users.preferences.retrieve(user_id).items
        if t.topic_id in (news, offers, security)
    }
    assert statuses == {news: "OPTED_OUT", offers: "OPTED_OUT", security: "REQUIRED"}
    with pytest.raises(courier.BadRequestError):
        client.users.preferences.bulk_update(
            user_id, topics=[{"topic_id": news, "status": "OPTED_IN"}], tenant_id="acme"
        )
    client.users.preferences.delete_topic(offers, user_id=user_id)
    assert client.users.preferences.retrieve_topic(offers, user_id=user_id).topic.status == (
        "OPTED_IN"
    )


def test_template_changes_are_audit_events(client: Courier, api: Client) -> None:
    template_id = unique("audited")
    status, body = api.request(
        "PUT", f"/templates/{template_id}", {"content": {"title": "T", "body": "B"}}
    )
    assert status == 200, body
    assert api.request("DELETE", f"/templates/{template_id}")[0] == 204
    page = client.audit_events.list()
    ours = [e for e in page.results if e.target == f"template:{template_id}"]
    assert [e.type for e in ours] == ["template.deleted", "template.created"]
    assert {(e.source, e.actor.id.startswith("api_key:")) for e in ours} == {("api", True)}
    got = client.audit_events.retrieve(ours[0].audit_event_id)
    assert (got.type, got.target, got.timestamp) == (
        "template.deleted",
        f"template:{template_id}",
        ours[0].timestamp,
    )
    with pytest.raises(courier.NotFoundError):
        client.audit_events.retrieve("no-such-event")


def test_a_webhook_recipient_s_authentication_and_profile_are_sent(
    client: Courier, sinks: Client
) -> None:
    hook = f"/webhooks/{uuid.uuid4().hex}"
    user_id = unique("hooked")
    client.profiles.create(user_id, profile={"email": f"{user_id}@example.com", "plan": "pro"})
    for authentication, header in (
        ({"mode": "bearer", "token": "tok-123"}, "Bearer tok-123"),
        (
            {"mode": "basic", "username": "ada", "password": "s3cret"},
            "Basic " + base64.b64encode(b"ada:s3cret").decode(),
        ),
    ):
        # A user beside a webhook: one recipient, as the profile fills in a message's.
        to: Any = {
            "user_id": user_id,
            "webhook": {
                "url": sinks.base_url + hook,
                "authentication": authentication,
                "profile": "expanded",
            },
        }
        sent = client.send.message(
            message={
                "to": to,
                "content": {"title": "Hook", "body": "Hello"},
                "routing": {"method": "single", "channels": ["webhook"]},
            }
        )
        message = eventually(lambda: ended(client, sent.request_id), what="an end state")  # noqa: B023
        assert message.status == "DELIVERED", message
        [post] = [
            w
            for w in sinks.get("/webhooks")
            if w["path"] == hook and w["body"]["messageId"] == sent.request_id
        ]
        headers = {name.lower(): value for name, value in post["headers"].items()}
        assert headers["authorization"] == header
        assert post["body"]["profile"]["plan"] == "pro"
        assert "webhook" not in post["body"]["profile"]


def test_an_html_element_is_sanitised_into_the_email(client: Courier) -> None:
    address = f"{unique('html')}@example.com"
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {
                "version": "2022-01-01",
                "elements": [
                    {"type": "meta", "title": "Markup"},
                    {
                        "type": "html",
                        "content": '<p onclick="x()">Hi <b>{{name}}</b></p><script>bad()</script>',
                    },
                    {"type": "text", "content": "Sized", "font_size": "18px", "line_height": "1.5"},
                ],
            },
            "data": {"name": "<i>Ada</i>"},
        }
    )
    eventually(lambda: ended(client, sent.request_id), what="an end state")
    [output] = client.messages.content(sent.request_id).results
    html = output.content.html
    assert "<p>Hi <b>&lt;i&gt;Ada&lt;/i&gt;</b></p>" in html
    assert "onclick" not in html and "<script" not in html and "bad()" not in html
    assert "line-height:1.5;font-size:18px;" in html


def test_a_tracked_event_sends_its_template_once(
    client: Courier, api: Client, sinks: Client
) -> None:
    event, user_id = unique("shipped"), unique("buyer")
    address = f"{user_id}@example.com"
    template = {"content": {"title": "Order {{order}}", "body": "On its way"}}
    assert api.request("PUT", f"/templates/{event}", template)[0] == 200
    client.profiles.create(user_id, profile={"email": address})
    event_id = unique("evt")
    tracked = client.inbound.track_event(
        event=event, message_id=event_id, properties={"order": "A1"}, type="track", user_id=user_id
    )
    message = eventually(lambda: ended(client, tracked.message_id), what="an end state")
    assert (message.status, message.event) == ("SENT", event)
    [mail] = eventually(lambda: mails_to(sinks, address), what="the mail")
    assert mail["subject"] == "Order A1"
    with pytest.raises(courier.ConflictError):
        client.inbound.track_event(
            event=event, message_id=event_id, properties={}, type="track", user_id=user_id
        )


def mails_to(sinks: Client, address: str) -> list[dict[str, Any]]:
    return [m for m in sinks.get("/mail") if address in m["to"]]


def test_a_slack_recipient_with_a_token_is_posted_through_the_web_api(
    client: Courier, sinks: Client
) -> None:
    channel = unique("C").replace("-", "").upper()
    for target in ({"channel": channel}, {"email": f"{unique('member')}@example.com"}):
        to: Any = {"slack": {"access_token": "xoxb-local-token", **target}}
        text = unique("deploy")
        sent = client.send.message(
            message={
                "to": to,
                "content": {"title": "Deploy", "body": text},
                "routing": {"method": "single", "channels": ["direct_message"]},
            }
        )
        message = eventually(lambda: ended(client, sent.request_id), what="an end state")  # noqa: B023
        assert message.status == "SENT", message
        [post] = [
            c
            for c in sinks.get("/chat")
            if c["path"] == "/slack-api/chat.postMessage" and text in c["body"]["text"]
        ]
        assert post["body"] == {"channel": post["body"]["channel"], "text": f"*Deploy*\n{text}"}
        if "channel" in target:
            assert post["body"]["channel"] == channel
        else:
            assert post["body"]["channel"].startswith("U")  # the member the lookup found
        headers = {name.lower(): value for name, value in post["headers"].items()}
        assert headers["authorization"] == "Bearer xoxb-local-token"
        assert headers["content-type"] == "application/json; charset=utf-8"


def test_a_teams_recipient_is_posted_as_the_bot_through_the_connector_api(
    client: Courier, sinks: Client
) -> None:
    user, channel = unique("29:1user"), unique("19:channel") + "@thread.tacv2"
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    for teams, path in (
        (
            {"user_id": user, "tenant_id": tenant},
            f"/msteams/teams/v3/conversations/{quote(f'a:local-{user}', safe='')}/activities",
        ),
        ({"channel_id": channel}, "/msteams/teams/v3/conversations"),
    ):
        text = unique("outage")
        to: Any = {"ms_teams": teams}
        sent = client.send.message(
            message={
                "to": to,
                "content": {"title": "Outage", "body": text},
                "routing": {"method": "single", "channels": ["direct_message"]},
            }
        )
        message = eventually(lambda: ended(client, sent.request_id), what="an end state")  # noqa: B023
        assert message.status == "SENT", message
        [post] = [c for c in sinks.get("/chat") if text in json.dumps(c["body"])]
        assert post["path"] == path
        activity = post["body"].get("activity", post["body"])
        assert activity == {"type": "message", "text": f"*Outage*\n{text}"}
        headers = {name.lower(): value for name, value in post["headers"].items()}
        assert headers["authorization"] == "Bearer teams-local-token"
    with pytest.raises(courier.BadRequestError, match="Microsoft Graph"):
        client.send.message(
            message={
                "to": {"ms_teams": {"email": "ada@example.com"}},
                "content": {"title": "x", "body": "x"},
            }
        )
