"""The console in headless Chromium on the local stack: sign in with the workspace's key,
find a message sent through the API, open it, cancel another, send a test of a template;
screenshots of each page
are kept under ``test-artifacts/console/`` (not committed)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.browser import Browser, find_chromium
from tests.e2e.conftest import Client

CHROMIUM = find_chromium()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")


def elemental(title: str, text: str) -> dict[str, object]:
    return {
        "version": "2022-01-01",
        "elements": [
            {"type": "meta", "title": title},
            {"type": "text", "content": text},
            {"type": "action", "content": "Open your invoice", "href": "https://shop.example/i/7"},
        ],
    }


def status_of(api: Client, message_id: str) -> str:
    status: str = api.get(f"/messages/{message_id}")["status"]
    return status


def test_an_operator_signs_in_finds_a_sent_message_and_cancels_a_delayed_one(
    stack: Stack, api: Client, tmp_path: Path
) -> None:
    assert CHROMIUM is not None and stack.api_key
    tag = f"console-{uuid.uuid4().hex[:8]}"
    sent = api.send(
        {
            "to": {"email": "ada@example.com"},
            "content": elemental("Your invoice <#7>", "Thanks for your order, <b>Ada</b>."),
            "metadata": {"tags": [tag]},
        }
    )
    eventually(lambda: status_of(api, sent) == "SENT", what="the message sent")
    delayed = api.send(
        {
            "to": {"email": "bob@example.com"},
            "content": elemental("Later", "Not yet."),
            "metadata": {"tags": [tag]},
            "delay": {"duration": 3_600_000},
        }
    )
    eventually(lambda: status_of(api, delayed) == "DELAYED", what="the message delayed")
    base = stack.base_url

    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        # Not signed in: to the sign-in form.
        browser.open(f"{base}/console/messages", lands_on=f"{base}/console/sign-in")
        browser.screenshot(ARTIFACTS / "1-sign-in.png")
        browser.type_into("#key", stack.api_key)
        browser.click("button[type=submit]")
        browser.wait_for(
            "location.pathname === '/console/messages' && document.readyState === 'complete'"
        )
        # The session cookie is HttpOnly: the page's script cannot read it.
        assert browser.evaluate("document.cookie") == ""

        browser.type_into("#tag", tag)
        browser.click("form[role=search] button[type=submit]")
        browser.wait_for(f"location.search.includes('tag={tag}')")
        rows = browser.evaluate("[...document.querySelectorAll('tbody tr')].map(r => r.innerText)")
        assert len(rows) == 2, rows
        assert sent in rows[1] and "SENT" in rows[1] and delayed in rows[0]
        browser.screenshot(ARTIFACTS / "2-messages.png")

        browser.click(f"a[href='/console/messages/{sent}']")
        browser.wait_for(
            f"location.pathname === '/console/messages/{sent}' && document.readyState === 'complete'"
        )
        timeline = browser.evaluate(
            "[...document.querySelectorAll('tbody tr td:first-child .status')]"
            ".map(e => e.textContent)"
        )
        assert timeline[:4] == ["ENQUEUED", "ROUTED", "RENDERED", "SENT"], timeline
        frame = browser.evaluate(
            "(() => { const f = document.querySelector('iframe.preview');"
            " return {sandbox: f.getAttribute('sandbox'), reachable: f.contentDocument !== null,"
            " height: f.getBoundingClientRect().height}; })()"
        )
        # No permission: its document has an opaque origin, out of the console's reach.
        assert frame == {"sandbox": "", "reachable": False, "height": frame["height"]}
        assert frame["height"] > 100
        text = browser.evaluate("document.body.innerText")
        assert "Your invoice <#7>" in text and "smtp" in text
        # The message's trace, as Cloud Trace (locally the span files) knows it.
        trace = browser.evaluate(
            "[...document.querySelectorAll('dt')].find(e => e.textContent === 'Trace')"
            ".nextElementSibling.querySelector('code').textContent"
        )
        assert re.fullmatch("[0-9a-f]{32}", trace), trace
        browser.screenshot(ARTIFACTS / "3-message.png")

        browser.open(f"{base}/console/messages/{delayed}")
        browser.click("form[action$='/cancel'] button[type=submit]")
        browser.wait_for("location.search === '?notice=canceled'")
        assert "The message was canceled." in browser.evaluate(
            "document.querySelector('[role=status]').textContent"
        )
        browser.screenshot(ARTIFACTS / "4-canceled.png")

        template = f"console-{uuid.uuid4().hex[:8]}"
        status, _ = api.request(
            "PUT",
            f"/templates/{template}",
            {"content": {"title": "Hi {{name}}", "body": "Your code is {{code}}"}},
        )
        assert status == 200
        browser.open(f"{base}/console/send")
        browser.type_into("#template", template)
        browser.type_into("#email", "grace@example.com")
        browser.evaluate("document.querySelector('#data').value = ''")
        browser.type_into("#data", '{"name": "Grace", "code": "4711"}')
        browser.click("form[action='/console/send'] button[type=submit]")
        browser.wait_for(
            "location.pathname.startsWith('/console/messages/') && document.readyState === 'complete'"
        )
        tested = browser.evaluate("location.pathname").removeprefix("/console/messages/")
        eventually(lambda: status_of(api, tested) == "SENT", what="the test send sent")
        browser.open(f"{base}/console/messages/{tested}")
        text = browser.evaluate("document.body.innerText")
        assert "Hi Grace" in text and "Your code is 4711" in text and "SENT" in text
        browser.screenshot(ARTIFACTS / "5-test-send.png")

        browser.open(f"{base}/console/events")
        assert browser.evaluate("document.querySelectorAll('svg line').length") > 10
        browser.screenshot(ARTIFACTS / "6-event-web.png")
    assert status_of(api, delayed) == "CANCELED"
