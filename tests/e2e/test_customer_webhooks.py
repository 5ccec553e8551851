"""Customer webhooks on the whole stack: an endpoint on the sinks gets message:updated."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest
from standardwebhooks import Webhook

from herald_tools.local.sinks import Fault
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def posts_to(sinks: Client, path: str) -> list[dict[str, Any]]:
    return [w for w in sinks.get("/webhooks") if w["path"] == path]


def handled_retries(stack: Stack, function: str) -> list[dict[str, Any]]:
    lines = (stack.log_dir / f"{function}.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [
        r
        for r in records
        if r.get("message") == "event handled" and r.get("event_type") == "webhook.retry_due"
    ]


def raw_body(post: dict[str, Any]) -> bytes:
    # The sinks keep the parsed JSON; Herald sends it compact, so this is the same bytes.
    return json.dumps(post["body"], separators=(",", ":")).encode()


def assert_signed(post: dict[str, Any], secret: str) -> None:
    headers = {name.lower(): value for name, value in post["headers"].items()}
    body = raw_body(post)
    assert Webhook(secret).verify(body, headers) == post["body"]
    t, signature = (part.split("=", 1)[1] for part in headers["courier-signature"].split(","))
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)


def test_an_endpoint_gets_signed_message_updated_posts_and_a_replay(
    own_workspace_api: Client, sinks: Client
) -> None:
    api = own_workspace_api
    hook = f"/webhooks/{uuid.uuid4().hex}"
    status, endpoint = api.request(
        "POST", "/webhooks/endpoints", {"url": sinks.base_url + hook, "events": ["message:updated"]}
    )
    assert status == 201, endpoint
    try:
        request_id = api.send(
            {
                "to": {"email": f"hooks-{uuid.uuid4().hex[:8]}@example.com"},
                "content": {"title": "Hi", "body": "there"},
            }
        )

        # One post per event it consumes: ENQUEUED's (read when handled) and SENT's.
        def both_posts() -> list[dict[str, Any]] | None:
            found = posts_to(sinks, hook)
            statuses = [p["body"]["data"]["status"] for p in found]
            return found if len(found) >= 2 and "SENT" in statuses else None

        posts = eventually(both_posts, what="message:updated posts for ENQUEUED and SENT")
        assert len(posts) == 2, (
            [(p["body"]["data"]["status"], p["headers"].get("webhook-id")) for p in posts],
            api.get(f"/webhooks/endpoints/{endpoint['id']}/deliveries")["results"],
            api.get(f"/messages/{request_id}/history"),
        )
        for post in posts:
            assert post["body"]["type"] == "message:updated"
            assert post["body"]["data"]["id"] == request_id
            assert_signed(post, endpoint["secret"])
        sent = next(p for p in posts if p["body"]["data"]["status"] == "SENT")
        assert sent["body"]["data"] == api.get(f"/messages/{request_id}")

        deliveries = api.get(f"/webhooks/endpoints/{endpoint['id']}/deliveries")["results"]
        assert sorted(d["event_type"] for d in deliveries) == ["message.enqueued", "message.sent"]
        assert all(d["state"] == "SUCCEEDED" for d in deliveries)
        assert all([a["status"] for a in d["attempts"]] == [200] for d in deliveries)

        delivery = next(d for d in deliveries if d["event_type"] == "message.sent")
        status, replayed = api.request(
            "POST", f"/webhooks/endpoints/{endpoint['id']}/deliveries/{delivery['id']}/replay"
        )
        assert status == 200, replayed
        assert [(a["status"], a["replay"]) for a in replayed["attempts"]] == [
            (200, False),
            (200, True),
        ]
        again = posts_to(sinks, hook)[-1]
        assert len(posts_to(sinks, hook)) == 3
        assert again["body"] == sent["body"]
        assert again["headers"]["webhook-id"] == delivery["id"]
        assert_signed(again, endpoint["secret"])
    finally:
        api.request("DELETE", f"/webhooks/endpoints/{endpoint['id']}")


def test_a_failing_endpoint_is_tried_again_on_the_timer(
    stack: Stack, own_workspace_api: Client, sinks: Client
) -> None:
    api = own_workspace_api
    hook = f"/webhooks/{uuid.uuid4().hex}"
    status, endpoint = api.request("POST", "/webhooks/endpoints", {"url": sinks.base_url + hook})
    assert status == 201, endpoint
    deliveries_path = f"/webhooks/endpoints/{endpoint['id']}/deliveries"
    # The next two posts fail; Retry-After brings each back within a sweep or two.
    stack.sinks.inbox.faults["webhooks"].script += [
        Fault(status=503, retry_after=1),
        Fault(status=503, retry_after=1),
    ]
    try:
        api.send({"to": {"email": "retry-hooks@example.com"}, "content": {"body": "."}})

        def all_succeeded() -> list[dict[str, Any]] | None:
            found: list[dict[str, Any]] = api.get(deliveries_path)["results"]
            done = len(found) == 2 and all(d["state"] == "SUCCEEDED" for d in found)
            return found if done else None

        deliveries = eventually(all_succeeded, timeout_s=60, what="the retried deliveries")
        statuses = sorted(a["status"] for d in deliveries for a in d["attempts"])
        assert statuses == [200, 200, 503, 503]
        assert len(posts_to(sinks, hook)) == 2  # the failed tries never reached it
        # They came back through the timer, on a topic that only webhooks consumes.
        assert handled_retries(stack, "webhooks") and not handled_retries(stack, "render")
        for post in posts_to(sinks, hook):
            assert_signed(post, endpoint["secret"])
    finally:
        api.request("DELETE", f"/webhooks/endpoints/{endpoint['id']}")
