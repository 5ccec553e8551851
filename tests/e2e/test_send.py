"""A send travels the whole pipeline: api -> Firestore -> relay -> Pub/Sub -> functions."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from herald.domain.status import PIPELINE_END
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def mails_for(sinks: Client, message_id: str) -> list[dict[str, Any]]:
    return [m for m in sinks.get("/mail") if m["heraldMessageId"] == message_id]


def ended(api: Client, message_id: str) -> dict[str, Any] | None:
    message: dict[str, Any] = api.get(f"/messages/{message_id}")
    return message if message["status"] in PIPELINE_END else None


def test_the_readme_example_arrives_as_mail_and_reads_back_in_courier_shape(
    api: Client, sinks: Client
) -> None:
    request_id = api.send(
        {
            "to": {"email": "ada@example.com"},
            "content": {"title": "Hi {{name}}", "body": "Your code is {{code}}"},
            "data": {"name": "Ada", "code": "123456"},
        }
    )
    [mail] = eventually(lambda: mails_for(sinks, request_id), what="the mail")
    assert (mail["subject"], mail["text"], mail["to"]) == (
        "Hi Ada",
        "Your code is 123456",
        ["ada@example.com"],
    )

    message = eventually(lambda: ended(api, request_id), what="an end state")
    assert message["id"] == request_id
    assert (message["status"], message["recipient"]) == ("SENT", "ada@example.com")
    assert message["enqueued"] <= message["sent"]
    assert (message["delivered"], message["reason"], message["error"]) == (None, None, None)

    history = api.get(f"/messages/{request_id}/history")["results"]
    assert [h["type"] for h in history] == ["ENQUEUED", "ROUTED", "RENDERED", "SENT"]
    assert [h["ts"] for h in history] == sorted(h["ts"] for h in history)


def test_a_webhook_recipient_is_posted_to_and_ends_delivered(api: Client, sinks: Client) -> None:
    hook = f"/webhooks/{uuid.uuid4().hex}"
    request_id = api.send(
        {
            "to": {"webhook": {"url": sinks.base_url + hook, "headers": {"x-app": "demo"}}},
            "content": {"title": "Order {{id}}", "body": "shipped"},
            "data": {"id": "A-1"},
        }
    )
    message = eventually(lambda: ended(api, request_id), what="an end state")
    assert message["status"] == "DELIVERED" and message["delivered"] >= message["enqueued"]
    [post] = [w for w in sinks.get("/webhooks") if w["path"] == hook]
    assert post["body"]["title"] == "Order A-1"
    assert post["body"]["messageId"] == request_id
    assert post["headers"]["x-app"] == "demo"


def test_three_recipients_make_three_messages_and_three_mails(api: Client, sinks: Client) -> None:
    tag = uuid.uuid4().hex[:8]
    addresses = [f"{name}-{tag}@example.com" for name in ("ann", "bob", "cy")]
    request_id = api.send(
        {
            "to": [{"email": a, "data": {"name": a.split("-")[0]}} for a in addresses],
            "content": {"title": "Hello {{name}}", "body": "."},
        }
    )
    request = api.get(f"/requests/{request_id}")
    ids = [m["id"] for m in request["messages"]]
    assert len(set(ids)) == 3 and request_id not in ids
    for message_id in ids:
        eventually(lambda m=message_id: ended(api, m), what=f"{message_id} to end")  # type: ignore[misc]
    mails = [m for m in sinks.get("/mail") if m["heraldMessageId"] in ids]
    assert sorted(m["subject"] for m in mails) == ["Hello ann", "Hello bob", "Hello cy"]
    assert sorted(m["to"][0] for m in mails) == sorted(addresses)

    def summaries_all_sent() -> list[dict[str, Any]] | None:
        results: list[dict[str, Any]] = api.get(f"/messages?requestId={request_id}")["results"]
        return results if len(results) == 3 and {m["status"] for m in results} == {"SENT"} else None

    listed = eventually(summaries_all_sent, what="the list's summaries")
    assert sorted(m["id"] for m in listed) == sorted(ids)


BAD_INPUT = [
    (b"{not json", "body"),
    (json.dumps({"msg": {}}).encode(), "message"),
    (json.dumps({"message": {"content": {"body": "x"}}}).encode(), "message.to"),
    (
        json.dumps({"message": {"to": {"email": "nope"}, "content": {"body": "x"}}}).encode(),
        "message.to.email",
    ),
    (
        json.dumps(
            {
                "message": {
                    "to": {"email": "a@example.com"},
                    "content": {"body": "x"},
                    "routing": {"method": "some", "channels": ["email"]},
                }
            }
        ).encode(),
        "message.routing.method",
    ),
    (
        json.dumps({"message": {"to": {"email": "a@example.com"}, "expiry": {}}}).encode(),
        "message.expiry",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_INPUT)
def test_bad_input_gets_400_naming_the_field(api: Client, body: bytes, field: str) -> None:
    status, answer = api.request("POST", "/send", raw=body)
    assert status == 400
    assert field in [e["field"] for e in answer["errors"]]
    assert all(e["reason"] for e in answer["errors"])


@pytest.mark.parametrize("key", [None, "hk_wrong"])
def test_no_or_a_wrong_key_gets_401(api: Client, key: str | None) -> None:
    status, answer = api.request(
        "POST",
        "/send",
        {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}},
        key=key,
    )
    assert status == 401 and answer["type"] == "authentication_error"
