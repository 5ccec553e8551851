"""Users, lists, preferences and templates on the whole local stack."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended

pytestmark = pytest.mark.e2e


def test_a_list_send_reaches_every_subscriber_through_their_profiles(
    api: Client, sinks: Client
) -> None:
    run = uuid.uuid4().hex[:8]
    users = [f"{run}-u{n:03d}" for n in range(105)]  # two chunks: 100, then 5
    for user in users:
        status, _ = api.request(
            "PUT", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com"}}
        )
        assert status == 200
    recipients = [{"recipientId": user} for user in users]
    status, _ = api.request("POST", f"/lists/{run}.all/subscriptions", {"recipients": recipients})
    assert status == 204
    request_id = api.send(
        {
            "to": {"list_id": f"{run}.all"},
            "content": {"title": "News for {{profile.email}}", "body": "."},
        }
    )

    def delivered() -> set[str] | None:
        to = {m["to"][0] for m in sinks.get("/mail") if m["to"][0].startswith(run)}
        return to if len(to) == len(users) else None

    addresses = eventually(delivered, what="a mail for every subscriber", timeout_s=120)
    assert addresses == {f"{user}@example.com" for user in users}
    parent = eventually(lambda: ended(api, request_id), what="the fan-out's end")
    assert (parent["status"], parent["recipient"]) == ("FANNED_OUT", f"list:{run}.all")
    history = api.get(f"/messages/{request_id}/history")["results"]
    assert [h["data"]["created"] for h in history if h["type"] == "FANNED_OUT"] == [100, 5]


def test_an_opted_out_user_gets_nothing_and_a_template_send_renders(
    api: Client, sinks: Client
) -> None:
    run = uuid.uuid4().hex[:8]
    user = f"{run}-ada"
    api.request(
        "PUT", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com", "name": "Ada"}}
    )
    api.request("PUT", f"/preferences/topics/{run}-news", {"topic_name": "News"})
    api.request("PUT", f"/users/{user}/preferences/{run}-news", {"topic": {"status": "OPTED_OUT"}})
    template: dict[str, Any] = {
        "content": {"title": "Hello {{profile.name}}", "body": "{{#each items}}{{this}};{{/each}}"},
        "subscription_topic_id": f"{run}-news",
    }
    assert api.request("PUT", f"/templates/{run}-t", template)[0] == 200

    refused = api.send({"to": {"user_id": user}, "template": f"{run}-t"})
    message = eventually(lambda: ended(api, refused), what="an end state")
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "UNSUBSCRIBED")

    api.request("PUT", f"/users/{user}/preferences/{run}-news", {"topic": {"status": "OPTED_IN"}})
    sent = api.send({"to": {"user_id": user}, "template": f"{run}-t", "data": {"items": [1, 2]}})
    assert eventually(lambda: ended(api, sent), what="an end state")["status"] == "SENT"
    [mail] = [m for m in sinks.get("/mail") if m["heraldMessageId"] == sent]
    assert mail["subject"] == "Hello Ada"
    body, _, footer = mail["text"].partition("\n\n--\n")
    assert body == "1;2;"
    assert "Unsubscribe: " in footer  # a topic's mail says how to leave it
    assert not [m for m in sinks.get("/mail") if m["heraldMessageId"] == refused]
