"""Email links on the whole local stack: one-click unsubscribe, tracking, the preferences page."""

from __future__ import annotations

import re
import secrets
import urllib.error
import urllib.request
import uuid
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from herald.ids import hash_api_key
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.browser import Browser, find_chromium
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended, mails_for

pytestmark = pytest.mark.e2e


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a mail client's one-click POST follows none; we look at each answer


def fetch(
    url: str, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """An unauthenticated request, as a mail client or a browser makes it."""
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, body, method=method)
    if body is not None:
        request.add_header("content-type", "application/x-www-form-urlencoded")
    try:
        with opener.open(request, timeout=30) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def unsubscribe_url(mail: dict[str, Any]) -> str:
    found = re.fullmatch(r"<(https?://[^>]+)>", mail["headers"]["List-Unsubscribe"])
    assert found, mail["headers"]
    return found[1]


def topic_and_user(api: Client, topic_name: str) -> tuple[str, str]:
    topic, user = f"news-{uuid.uuid4().hex[:8]}", f"user-{uuid.uuid4().hex[:8]}"
    assert api.request("PUT", f"/preferences/topics/{topic}", {"topic_name": topic_name})[0] == 200
    profile = {"profile": {"email": f"{user}@example.com"}}
    assert api.request("POST", f"/profiles/{user}", profile)[0] == 200
    return topic, user


def send_on_topic(api: Client, user: str, topic: str) -> str:
    return api.send(
        {
            "to": {"user_id": user},
            "content": {"title": "This week", "body": "What is new"},
            "preferences": {"subscription_topic_id": topic},
        }
    )


def test_a_one_click_unsubscribe_stops_the_next_send_of_that_topic(
    api: Client, sinks: Client
) -> None:
    topic, user = topic_and_user(api, "Weekly news")
    first = send_on_topic(api, user, topic)
    [mail] = eventually(lambda: mails_for(sinks, first), what="the first mail")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = unsubscribe_url(mail)
    assert url.startswith(api.base_url + "/unsubscribe/")
    assert f"Unsubscribe: {url}" in mail["text"]

    # What a mail client does (RFC 8058): POST the body, no cookies, no redirects.
    status, headers, page = fetch(url, "POST", b"List-Unsubscribe=One-Click")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert b"You will no longer receive <strong>Weekly news</strong>" in page
    assert api.get(f"/users/{user}/preferences/{topic}")["topic"]["status"] == "OPTED_OUT"

    second = send_on_topic(api, user, topic)
    message = eventually(lambda: ended(api, second), what="the second send to end")
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "UNSUBSCRIBED")
    assert mails_for(sinks, second) == []


@pytest.fixture(scope="module")
def tracked_workspace(stack: Stack) -> Client:
    """A workspace of its own with tracking on (render reads a workspace's settings once
    a minute, so the shared workspace is left as it is)."""
    from google.cloud import firestore

    from herald.store.base import WorkspaceSettings
    from herald.store.firestore import FirestoreKeys, FirestoreWorkspaces

    workspace, key = f"tracked-{uuid.uuid4().hex[:8]}", "hk_e2e_" + secrets.token_urlsafe(16)
    client = firestore.Client(project=stack.emulators.project)
    FirestoreKeys(client).put(hash_api_key(key), workspace)
    FirestoreWorkspaces(client).save_settings(workspace, WorkspaceSettings(tracking=True))
    return Client(stack.base_url, key)


def test_tracking_records_the_open_and_the_click_which_goes_to_the_real_link(
    tracked_workspace: Client, sinks: Client
) -> None:
    api = tracked_workspace
    link = "https://shop.example/deals?week=48&from=mail"
    message_id = api.send(
        {
            "to": {"email": "tracked@example.com"},
            "content": {
                "version": "2022-01-01",
                "elements": [
                    {"type": "meta", "title": "Deals"},
                    {"type": "text", "content": "This week's deals"},
                    {"type": "action", "content": "See the deals", "href": link},
                ],
            },
        }
    )
    [mail] = eventually(lambda: mails_for(sinks, message_id), what="the tracked mail")
    assert link not in mail["html"]  # every web link goes through Herald
    pixel = re.search(r'<img src="([^"]+/track/open/[^"]+)"', mail["html"])
    click = re.search(r'href="([^"]+/track/click/[^"]+)"', mail["html"])
    assert pixel and click, mail["html"]
    eventually(lambda: ended(api, message_id), what="SENT")

    status, headers, gif = fetch(unescape(pixel[1]))
    assert (status, headers["content-type"], gif[:6]) == (200, "image/gif", b"GIF89a")
    opened = eventually(
        lambda: (m := api.get(f"/messages/{message_id}"))["status"] == "OPENED" and m,
        what="OPENED",
    )
    assert opened["opened"] is not None and opened["clicked"] is None

    status, headers, _ = fetch(unescape(click[1]))
    assert (status, headers["location"]) == (302, link)
    clicked = eventually(
        lambda: (m := api.get(f"/messages/{message_id}"))["status"] == "CLICKED" and m,
        what="CLICKED",
    )
    assert clicked["opened"] == opened["opened"] and clicked["clicked"] >= clicked["opened"]
    history = [h["type"] for h in api.get(f"/messages/{message_id}/history")["results"]]
    assert history[-2:] == ["OPENED", "CLICKED"]

    # A tampered link redirects nowhere.
    head, _, signature = unescape(click[1]).rpartition(".")
    forged = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert fetch(forged)[0] == 404


CHROMIUM = find_chromium()


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs the system's chromium (Debian: apt-get install chromium)"
)
def test_the_preferences_page_in_a_browser_switches_a_channel_and_stores_it(
    api: Client, sinks: Client, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    topic, user = topic_and_user(api, "Product updates")
    required = f"security-{uuid.uuid4().hex[:8]}"
    api.request(
        "PUT",
        f"/preferences/topics/{required}",
        {"topic_name": "Security alerts", "default_status": "REQUIRED"},
    )
    message_id = send_on_topic(api, user, topic)
    [mail] = eventually(lambda: mails_for(sinks, message_id), what="the mail")
    preferences = re.search(r"Email preferences: (\S+)", mail["text"])
    assert preferences, mail["text"]
    url = preferences[1]

    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        browser.open(url)
        assert browser.evaluate("document.documentElement.lang") == "en"
        legends = browser.evaluate(
            "[...document.querySelectorAll('legend')].map(l => l.textContent)"
        )
        assert "Product updates" in legends and "Security alerts" in legends
        # Every switch is announced by its channel's name; REQUIRED ones are locked.
        assert {"Email", "SMS", "Push notifications", "Chat"} <= set(
            browser.accessible_names("checkbox")
        )
        topic_box = f'input[name="t:{topic}"][value="sms"]'
        required_box = f'input[name="t:{required}"][value="email"]'
        assert browser.evaluate(f"document.querySelector('{required_box}').disabled") is True
        assert browser.evaluate(f"document.querySelector('{topic_box}').checked") is True

        browser.click(topic_box)  # SMS off
        browser.click(required_box)  # locked: nothing happens
        assert browser.evaluate(f"document.querySelector('{topic_box}').checked") is False
        assert browser.evaluate(f"document.querySelector('{required_box}').checked") is True
        browser.click("button[type=submit]")
        browser.wait_for("location.search === '?saved=1' && document.readyState === 'complete'")
        assert "Your preferences are saved." in browser.evaluate(
            "document.querySelector('[role=status]').textContent"
        )
        assert browser.evaluate(f"document.querySelector('{topic_box}').checked") is False

    stored = api.get(f"/users/{user}/preferences/{topic}")["topic"]
    assert (stored["status"], stored["custom_routing"]) == (
        "OPTED_IN",
        ["email", "push", "direct_message"],
    )
    assert api.get(f"/users/{user}/preferences/{required}")["topic"]["status"] == "REQUIRED"
