"""The inbox in real time on the whole local stack: the socket Courier's client opens
(``apiUrls.inbox.webSocket``), served by the real-time service over Firestore listeners,
first spoken to as courier-js speaks it, then through Courier's own web components
(``@trycourier/courier-ui-inbox``, unchanged from npm) in headless Chromium."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import tarfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from courier import Courier
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.browser import Browser, BrowserError, find_chromium
from tests.e2e.conftest import Client
from tests.e2e.test_inbox import COURIER_JS, COURIER_JS_SHA1, as_browser

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "inbox"
# Courier's web components, pinned as npm ships them (npm's shasum of each tarball), and
# what they import: courier-js (the version the GraphQL operations were recorded from).
PACKAGES = {
    "courier-ui-inbox": (
        "@trycourier/courier-ui-inbox@2.4.7",
        "314c005c26d5a9a24ecb83c823cd34529c86ef43",
    ),
    "courier-ui-core": (
        "@trycourier/courier-ui-core@2.2.0",
        "82c19453f8df3af1802f6d164c8b64f696898308",
    ),
    "courier-js": (COURIER_JS, COURIER_JS_SHA1),
}
# A desktop's window: the components show a message's menu when a mouse rests on it.
VIEWPORT = (1280, 800)
CHROMIUM = find_chromium()
NPM = shutil.which("npm")
# The whole web app: the components, signed in with the user's token and Herald's URLs
# (given in the page's fragment), a click on a message marking it read.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inbox</title>
<script type="importmap">{"imports": {
  "@trycourier/courier-js": "./courier-js.mjs",
  "@trycourier/courier-ui-core": "./courier-ui-core.mjs"}}</script>
</head><body>
<courier-inbox id="inbox"></courier-inbox>
<script type="module">
import { Courier, CourierInboxDatastore, markAsRead } from "./courier-ui-inbox.mjs";
const options = JSON.parse(decodeURIComponent(location.hash.slice(1)));
Courier.shared.signIn(options);
document.getElementById("inbox").onMessageClick(({ message }) => markAsRead(message));
window.app = { datastore: CourierInboxDatastore.shared };
</script></body></html>
"""


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(api_key=stack.api_key, base_url=stack.base_url, max_retries=0) as sdk:
        yield sdk


def token_for(
    client: Courier, user: str, scope: str = "inbox:read:messages inbox:write:events"
) -> str:
    token: str = client.auth.issue_token(scope=f"user_id:{user} {scope}", expires_in="1h").token
    return token


def socket_url(stack: Stack, token: str, user: str, cid: str = "e2e") -> str:
    """The URL courier-js 3.4.0 opens."""
    query = urllib.parse.urlencode(
        {
            "auth": token,
            "cid": cid,
            "iwpv": "v1",
            "userId": user,
            "sdk": "courier-js",
            "sdkv": "3.4.0",
        }
    )
    return f"{stack.realtime_url}?{query}"


def send_to_inbox(client: Courier, user: str, title: str) -> str:
    request_id: str = client.send.message(
        message={
            "to": {"user_id": user},
            "content": {"title": title, "body": "It shipped"},
            "routing": {"method": "single", "channels": ["inbox"]},
        }
    ).request_id
    return request_id


def subscribed(socket: Connection, user: str) -> None:
    socket.send(json.dumps({"tid": "c", "action": "get-config"}))
    assert json.loads(socket.recv(timeout=10))["response"] == "config"
    socket.send(
        json.dumps({"tid": "s", "action": "subscribe", "data": {"channel": user, "event": "*"}})
    )
    assert json.loads(socket.recv(timeout=10)) == {"tid": "s", "response": "ack"}


def test_the_socket_tells_a_new_message_and_a_read_from_another_device(
    stack: Stack, client: Courier
) -> None:
    user = f"rt-{uuid.uuid4().hex[:10]}"
    token = token_for(client, user)
    with connect(socket_url(stack, token, user)) as socket:
        subscribed(socket, user)
        message_id = send_to_inbox(client, user, "Order A-17")
        told = json.loads(socket.recv(timeout=20))
        assert (told["event"], told["messageId"], told["data"]["title"]) == (
            "message",
            message_id,
            "Order A-17",
        )
        started = time.monotonic()
        status, _ = as_browser(stack, token, user, "read", message_id)  # another device reads
        assert status == 200
        assert json.loads(socket.recv(timeout=1.0)) == {"event": "read", "messageId": message_id}
        print(f"read told to the socket {1000 * (time.monotonic() - started):.0f} ms after")


def test_the_socket_refuses_another_users_token_and_closes_on_garbage(
    stack: Stack, client: Courier
) -> None:
    user = f"rt-{uuid.uuid4().hex[:10]}"
    with connect(socket_url(stack, token_for(client, "someone-else"), user)) as socket:
        with pytest.raises(ConnectionClosedError) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    with connect(socket_url(stack, token_for(client, user), user)) as socket:
        socket.send("garbage")
        with pytest.raises(ConnectionClosedError) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
    with connect(socket_url(stack, token_for(client, user), user)) as socket:
        subscribed(socket, user)  # the service serves on


def test_a_dropped_socket_reconnecting_resumes_with_what_it_missed(
    stack: Stack, client: Courier
) -> None:
    user = f"rt-{uuid.uuid4().hex[:10]}"
    token, cid = token_for(client, user), uuid.uuid4().hex
    with connect(socket_url(stack, token, user, cid)) as socket:
        subscribed(socket, user)
        first = send_to_inbox(client, user, "Before the drop")
        assert json.loads(socket.recv(timeout=20))["messageId"] == first
        socket.socket.shutdown(2)  # the network drops: no closing handshake
    missed = send_to_inbox(client, user, "While away")
    eventually(
        lambda: client.messages.retrieve(missed).status == "DELIVERED", what="the missed message"
    )
    with connect(socket_url(stack, token, user, cid)) as socket:
        subscribed(socket, user)
        told = json.loads(socket.recv(timeout=20))
        assert (told["event"], told["messageId"]) == ("message", missed)
        socket.send(json.dumps({"tid": "p", "action": "ping"}))
        assert json.loads(socket.recv(timeout=10))["response"] == "pong"  # nothing twice


@pytest.fixture(scope="module")
def inbox_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A page on an origin of its own with Courier's web components, unchanged, from npm."""
    assert NPM is not None
    root = tmp_path_factory.mktemp("courier-ui-inbox")
    for name, (package, sha1) in PACKAGES.items():
        subprocess.run(
            [NPM, "pack", package, "--silent"], cwd=root, check=True, capture_output=True
        )
        [tarball] = [t for t in root.glob("*.tgz") if name in t.name]
        assert hashlib.sha1(tarball.read_bytes()).hexdigest() == sha1, package
        with tarfile.open(tarball) as archive:
            module = archive.extractfile("package/dist/index.mjs")
            assert module is not None
            (root / f"{name}.mjs").write_bytes(module.read())
    (root / "index.html").write_text(PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    thread.join()


def shown_texts(browser: Browser) -> list[str]:
    """The text the page shows, inside shadow roots too (the components' are closed)."""
    texts: list[str] = []

    def walk(node: dict[str, Any], parent: str) -> None:
        text = node.get("nodeValue", "").strip()
        if node.get("nodeType") == 3 and parent not in ("STYLE", "SCRIPT") and text:
            texts.append(text)
        for child in [*node.get("children", []), *node.get("shadowRoots", [])]:
            walk(child, node.get("nodeName", ""))

    walk(page_tree(browser), "")
    return texts


def page_tree(browser: Browser) -> dict[str, Any]:
    """The page's DOM, inside shadow roots too (the components' are closed)."""
    root: dict[str, Any] = browser.call("DOM.getDocument", depth=-1, pierce=True)["root"]
    return root


def descendants(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in [*node.get("children", []), *node.get("shadowRoots", [])]:
        yield child
        yield from descendants(child)


def showing(node: dict[str, Any], text: str) -> bool:
    return any(n.get("nodeType") == 3 and n["nodeValue"].strip() == text for n in descendants(node))


def center(browser: Browser, node_id: int) -> tuple[float, float] | None:
    """Where a mouse would point at the node; None while it is not laid out."""
    try:
        quad = browser.call("DOM.getBoxModel", nodeId=node_id)["model"]["content"]
    except BrowserError:
        return None
    return (quad[0] + quad[4]) / 2, (quad[1] + quad[5]) / 2


def mouse(browser: Browser, at: tuple[float, float], click: bool = True) -> None:
    kinds = ("mouseMoved", "mousePressed", "mouseReleased") if click else ("mouseMoved",)
    for kind in kinds:
        browser.call(
            "Input.dispatchMouseEvent", type=kind, x=at[0], y=at[1], button="left", clickCount=1
        )


def list_item(browser: Browser, title: str) -> dict[str, Any] | None:
    """The components' list item showing ``title``."""
    items = [
        n for n in descendants(page_tree(browser)) if n.get("nodeName") == "COURIER-INBOX-LIST-ITEM"
    ]
    return next((item for item in items if showing(item, title)), None)


def title_point(browser: Browser, title: str) -> tuple[float, float] | None:
    """Where a mouse would point at the message's title; None while it is not shown or
    not laid out. Read afresh each time: an update re-renders the list, and the nodes
    read before it are gone."""
    item = list_item(browser, title)
    if item is None:
        return None
    texts = [
        n for n in descendants(item) if n.get("nodeType") == 3 and n["nodeValue"].strip() == title
    ]
    return center(browser, texts[0]["parentId"]) if len(texts) == 1 else None


def click_message(browser: Browser, title: str) -> None:
    """A mouse click on the message's title, as a user's."""
    mouse(browser, eventually(lambda: title_point(browser, title), what=f"{title!r} laid out"))


def attribute(node: dict[str, Any], name: str) -> str | None:
    values = node.get("attributes", [])
    return next((values[i + 1] for i in range(0, len(values), 2) if values[i] == name), None)


def item_menu(browser: Browser, title: str) -> dict[str, Any] | None:
    """The hover menu of the message's list item."""
    menus = [
        n
        for n in descendants(list_item(browser, title) or {})
        if n.get("nodeName") == "COURIER-INBOX-LIST-ITEM-MENU"
    ]
    return menus[0] if len(menus) == 1 else None


def menu_still(browser: Browser, title: str) -> bool:
    """Whether the message's menu has no fade running: a fade's end hides the menu, even
    one that shows again meanwhile (the components' ``hide``), so the pointer enters
    only once none runs."""
    menu = item_menu(browser, title)
    if menu is None:
        return True
    target = browser.call("DOM.resolveNode", nodeId=menu["nodeId"])["object"]["objectId"]
    running: int = browser.call(
        "Runtime.callFunctionOn",
        objectId=target,
        functionDeclaration="function() { return this.getAnimations().length; }",
        returnByValue=True,
    )["result"]["value"]
    return running == 0


def archive_button(browser: Browser, title: str) -> tuple[float, float] | None:
    """Where the archive button of the message's hover menu is, once the menu is shown and
    takes the pointer (its ``visible`` class); None before. The menu's buttons are the
    components' default list item actions, in their order: read/unread, then archive."""
    menu = item_menu(browser, title)
    if menu is None or "visible" not in (attribute(menu, "class") or "").split():
        return None
    buttons = [n for n in descendants(menu) if n.get("nodeName") == "BUTTON"]
    return center(browser, buttons[1]["nodeId"]) if len(buttons) == 2 else None


def item_point(browser: Browser, title: str) -> tuple[float, float] | None:
    """Where a mouse would rest on the message's list item; None while not laid out."""
    item = list_item(browser, title)
    return None if item is None else center(browser, item["nodeId"])


def archive_from_menu(browser: Browser, title: str, shot: Path) -> None:
    """Archives the message as a person does: the pointer rests on it, its hover menu
    shows (kept in ``shot``), and a click on the menu's archive button."""
    at = eventually(lambda: item_point(browser, title), what=f"{title!r} laid out")
    # The pointer enters the message from outside the list, so the message is told so,
    # once the fade of a menu it showed before has ended (leaving and entering faster
    # than that leaves the menu hidden: no person's hand is quick enough).
    mouse(browser, (1, VIEWPORT[1] - 1), click=False)
    eventually(lambda: menu_still(browser, title), what="the menu's fade ended")
    mouse(browser, at, click=False)
    eventually(lambda: archive_button(browser, title) is not None, what="the hover menu")
    browser.screenshot(shot, whole_page=False)
    button = archive_button(browser, title)
    assert button is not None
    mouse(browser, button)


def open_inbox(browser: Browser, page: str, options: dict[str, Any]) -> str:
    """Opens the app in a tab of its own; the tab's session, to come back to it."""
    browser.open(f"{page}#{urllib.parse.quote(json.dumps(options))}")
    browser.set_viewport(*VIEWPORT)
    browser.wait_for("window.app !== undefined")
    session = browser.session
    assert session is not None
    return session


def unread(browser: Browser) -> int:
    count: int = browser.evaluate("window.app.datastore.totalUnreadCount")
    return count


def badges(browser: Browser) -> set[str]:
    """What the components' unread badges show (their text, not their style sheets)."""
    shown: set[str] = set()
    for found in descendants(page_tree(browser)):
        if found.get("nodeName") != "COURIER-UNREAD-COUNT-BADGE":
            continue
        inside = list(descendants(found))
        styles = {n["nodeId"] for n in inside if n.get("nodeName") == "STYLE"}
        text = "".join(
            n["nodeValue"]
            for n in inside
            if n.get("nodeType") == 3 and n.get("parentId") not in styles
        ).strip()
        if text:
            shown.add(text)
    return shown


@pytest.mark.skipif(CHROMIUM is None or NPM is None, reason="needs chromium and npm")
def test_courier_ui_inbox_unchanged_shows_and_updates_a_herald_inbox_in_real_time(
    stack: Stack, api: Client, client: Courier, inbox_page: str, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    user = f"ui-{uuid.uuid4().hex[:10]}"
    first = send_to_inbox(client, user, "Welcome aboard")
    eventually(
        lambda: client.messages.retrieve(first).status == "DELIVERED",
        what="the first message delivered",
    )
    options = {
        "userId": user,
        "jwt": token_for(client, user),
        "apiUrls": {
            "courier": {"rest": stack.base_url, "graphql": f"{stack.base_url}/client/q"},
            "inbox": {"graphql": f"{stack.base_url}/inbox/q", "webSocket": stack.realtime_url},
        },
    }
    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        one = open_inbox(browser, inbox_page, options)
        eventually(lambda: "Welcome aboard" in shown_texts(browser), what="the first message")
        other = open_inbox(browser, inbox_page, options)  # the same user on a second page
        eventually(lambda: "Welcome aboard" in shown_texts(browser), what="it on the second")
        eventually(lambda: unread(browser) == 1, what="one unread on the second page")

        browser.session = one  # driven, while the second page stays in front
        second = send_to_inbox(client, user, "Your order shipped")
        eventually(
            lambda: "Your order shipped" in shown_texts(browser), what="the send, without reload"
        )
        eventually(lambda: unread(browser) == 2, what="two unread")
        eventually(lambda: badges(browser) == {"2"}, what="the unread badge showing 2")
        browser.screenshot(ARTIFACTS / "1-new-message.png")

        click_message(browser, "Your order shipped")
        eventually(lambda: unread(browser) == 1, what="the click marking it read")
        browser.session = other
        eventually(lambda: unread(browser) == 1, what="the read seen on the second page")
        eventually(lambda: badges(browser) == {"1"}, what="its badge showing 1")
        browser.screenshot(ARTIFACTS / "2-read-on-another-page.png")

        # Archived from the page in front, whose pointer has not moved yet: the menu shows
        # itself on the second frame after the pointer enters, and a page behind others
        # draws no frames.
        archive_from_menu(browser, "Your order shipped", ARTIFACTS / "3-hover-menu.png")
        eventually(
            lambda: "Your order shipped" not in shown_texts(browser), what="archive removing it"
        )
        browser.switch_to(one)
        eventually(
            lambda: "Your order shipped" not in shown_texts(browser),
            what="the archive seen on the first page",
        )
        browser.screenshot(ARTIFACTS / "4-archived-on-the-first-page.png")
    history = api.get(f"/messages/{second}/history")["results"]
    assert {"READ", "ARCHIVED"} <= {event["type"] for event in history}
