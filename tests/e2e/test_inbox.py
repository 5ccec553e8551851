"""The inbox on the whole local stack: a send to the inbox channel, a user token issued by
Courier's Python SDK, and the GraphQL requests Courier's browser client sends, as it sends
them (recorded from the shipped package)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.browser import Browser, find_chromium
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

CLIENT = json.loads(
    (
        Path(__file__).parents[1] / "unit" / "data" / "courier_js" / "operations-3.4.0.json"
    ).read_text()
)


# The browser client, as npm ships it: the version the operations were recorded from.
COURIER_JS = "@trycourier/courier-js@3.4.0"
COURIER_JS_SHA1 = "f4edab941c8392feafa6c33c2df34c8b64bd1435"  # npm's shasum of the tarball
CHROMIUM = find_chromium()
NPM = shutil.which("npm")
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inbox</title></head><body>
<script type="module">
import { CourierClient } from "./courier.js";
window.CourierClient = CourierClient;
</script></body></html>
"""


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


@pytest.fixture(scope="module")
def courier_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A page on an origin of its own that loads courier-js, unchanged, from npm."""
    assert NPM is not None
    root = tmp_path_factory.mktemp("courier-js")
    subprocess.run([NPM, "pack", COURIER_JS, "--silent"], cwd=root, check=True, capture_output=True)
    [tarball] = root.glob("*.tgz")
    assert hashlib.sha1(tarball.read_bytes()).hexdigest() == COURIER_JS_SHA1
    with tarfile.open(tarball) as archive:
        module = archive.extractfile("package/dist/index.mjs")
        assert module is not None
        (root / "courier.js").write_bytes(module.read())
    (root / "index.html").write_text(PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    thread.join()


def in_page(browser: Browser, script: str) -> Any:
    """Runs ``script`` (the body of an async function) in the page; its JSON result."""
    browser.evaluate(
        "window.result = undefined; (async () => {" + script + "})().then("
        "r => { window.result = JSON.stringify({ok: r === undefined ? null : r}); },"
        " e => { window.result = JSON.stringify({error: String(e)}); })"
    )
    browser.wait_for("window.result !== undefined")
    answer = json.loads(browser.evaluate("window.result"))
    assert "error" not in answer, answer["error"]
    return answer["ok"]


@pytest.mark.skipif(CHROMIUM is None or NPM is None, reason="needs chromium and npm")
def test_courier_js_unchanged_in_chromium_lists_and_marks_the_inbox_from_another_origin(
    stack: Stack, api: Client, client: Courier, courier_page: str, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    user = f"browser-{uuid.uuid4().hex[:10]}"
    brand = {"id": user, "name": "Acme", "settings": {"colors": {"primary": "#112233"}}}
    assert api.request("POST", "/brands", brand)[0] in (200, 201)
    message_id = client.send.message(
        message={
            "to": {"user_id": user},
            "content": {"title": "Welcome", "body": "Glad you are here"},
            "routing": {"method": "single", "channels": ["inbox"]},
        }
    ).request_id
    eventually(
        lambda: client.messages.retrieve(message_id).status == "DELIVERED",
        what="the message delivered to the inbox",
    )
    token = client.auth.issue_token(
        scope=f"user_id:{user} inbox:read:messages inbox:write:events read:brands:{user}",
        expires_in="1h",
    ).token
    options = {
        "userId": user,
        "jwt": token,
        "apiUrls": {
            "courier": {"rest": stack.base_url, "graphql": f"{stack.base_url}/client/q"},
            "inbox": {"graphql": f"{stack.base_url}/inbox/q", "webSocket": "ws://127.0.0.1:9"},
        },
    }
    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        browser.open(courier_page)
        browser.wait_for("window.CourierClient !== undefined")
        browser.evaluate(f"window.courier = new CourierClient({json.dumps(options)})")
        listed = in_page(browser, "return (await courier.inbox.getMessages()).data;")
        assert (listed["count"], listed["unreadCount"]) == (1, 1)
        [node] = listed["messages"]["nodes"]
        assert (node["messageId"], node["title"], node["preview"]) == (
            message_id,
            "Welcome",
            "Glad you are here",
        )
        in_page(browser, f"await courier.inbox.read({{messageId: {json.dumps(message_id)}}});")
        assert in_page(browser, "return await courier.inbox.getUnreadMessageCount();") == 0
        in_page(browser, f"await courier.inbox.archive({{messageId: {json.dumps(message_id)}}});")
        after = in_page(browser, "return (await courier.inbox.getMessages()).data;")
        assert after["messages"]["nodes"] == []
        shown = in_page(
            browser, f"return await courier.brands.getBrand({{brandId: {json.dumps(user)}}});"
        )
        assert shown["settings"]["colors"]["primary"] == "#112233"


@pytest.mark.skipif(CHROMIUM is None or NPM is None, reason="needs chromium and npm")
def test_courier_js_unchanged_reads_and_changes_the_users_preferences(
    stack: Stack, api: Client, client: Courier, courier_page: str, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    user = f"prefs-{uuid.uuid4().hex[:10]}"
    topic = f"topic-{uuid.uuid4().hex[:10]}"
    put = {"topic_name": "Shipping", "default_status": "OPTED_IN"}
    assert api.request("PUT", f"/preferences/topics/{topic}", put)[0] == 200
    token = client.auth.issue_token(
        scope=f"user_id:{user} read:preferences write:preferences", expires_in="1h"
    ).token
    options = {
        "userId": user,
        "jwt": token,
        "apiUrls": {
            "courier": {"rest": stack.base_url, "graphql": f"{stack.base_url}/client/q"},
            "inbox": {"graphql": f"{stack.base_url}/inbox/q", "webSocket": "ws://127.0.0.1:9"},
        },
    }
    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        browser.open(courier_page)
        browser.wait_for("window.CourierClient !== undefined")
        browser.evaluate(f"window.courier = new CourierClient({json.dumps(options)})")
        listed = in_page(browser, "return await courier.preferences.getUserPreferences();")
        [mine] = [item for item in listed["items"] if item["topicId"] == topic]
        assert (mine["topicName"], mine["status"], mine["defaultStatus"]) == (
            "Shipping",
            "OPTED_IN",
            "OPTED_IN",
        )
        change = {
            "topicId": topic,
            "status": "OPTED_OUT",
            "hasCustomRouting": True,
            "customRouting": ["email"],
        }
        updated = in_page(
            browser,
            f"return await courier.preferences.putUserPreferenceTopic({json.dumps(change)});",
        )
        assert (updated["status"], updated["customRouting"]) == ("OPTED_OUT", ["email"])
    # Stored where the send pipeline and Courier's SDK read a user's preferences.
    stored = client.users.preferences.retrieve_topic(topic, user_id=user).topic
    assert (stored.status, stored.custom_routing) == ("OPTED_OUT", ["email"])
