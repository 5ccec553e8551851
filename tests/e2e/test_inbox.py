"""The inbox on the whole local stack: a send to the inbox channel, a user token issued by
Courier's Python SDK, and the GraphQL requests Courier's browser client sends, as it sends
them (recorded from the shipped package)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

CLIENT = json.loads(
    (
        Path(__file__).parents[1] / "unit" / "data" / "courier_js" / "operations-3.4.0.json"
    ).read_text()
)


def sent_by_client(method: str) -> dict[str, Any]:
    [request] = [r for r in CLIENT["requests"] if r["method"] == method]
    return dict(request)


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def as_browser(
    stack: Stack, token: str, user: str, method: str, message_id: str = ""
) -> tuple[int, Any]:
    """POSTs what courier-js sends for ``method``, with its headers, to the inbox's URL."""
    request = sent_by_client(method)
    headers = {
        **request["headers"],
        "x-courier-user-id": user,
        "Authorization": f"Bearer {token}",
    }
    query = request["query"].replace('"MESSAGE"', json.dumps(message_id))
    browser = Client(stack.base_url, None)
    return browser.request("POST", "/inbox/q", {"query": query}, key=None, headers=headers)


def test_a_send_reaches_the_users_inbox_and_the_client_reads_and_marks_it_read(
    stack: Stack, api: Client, client: Courier
) -> None:
    user = f"inbox-{uuid.uuid4().hex[:10]}"
    response = client.send.message(
        message={
            "to": {"user_id": user},
            "content": {"title": "Order {{order}}", "body": "It shipped"},
            "data": {"order": "A-17"},
            "routing": {"method": "single", "channels": ["inbox"]},
        }
    )
    message_id = response.request_id
    eventually(
        lambda: client.messages.retrieve(message_id).status == "DELIVERED",
        what="the message delivered to the inbox",
    )
    token = client.auth.issue_token(
        scope=f"user_id:{user} inbox:read:messages inbox:write:events", expires_in="1h"
    ).token

    status, listed = as_browser(stack, token, user, "getMessages")
    assert status == 200, listed
    page = listed["data"]
    assert (page["count"], page["unreadCount"]) == (1, 1)
    [node] = page["messages"]["nodes"]
    assert (node["messageId"], node["title"], node["preview"]) == (
        message_id,
        "Order A-17",
        "It shipped",
    )
    assert node["read"] is None and node["created"].endswith("Z")

    status, marked = as_browser(stack, token, user, "read", message_id)
    assert (status, marked) == (200, {"data": {"read": True}})
    assert as_browser(stack, token, user, "getUnreadMessageCount")[1] == {"data": {"count": 0}}
    eventually(
        lambda: any(
            event["type"] == "READ"
            for event in api.get(f"/messages/{message_id}/history")["results"]
        ),
        what="READ in the message's history",
    )

    # Another user's token sees none of it and cannot change it.
    other = client.auth.issue_token(
        scope="user_id:someone-else inbox:read:messages inbox:write:events", expires_in="1h"
    ).token
    assert as_browser(stack, other, user, "getMessages")[0] == 403
    status, refused = as_browser(stack, other, "someone-else", "unread", message_id)
    assert status == 200 and refused["errors"][0]["message"] == "no such message in this inbox"
