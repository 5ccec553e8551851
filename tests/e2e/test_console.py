"""The console in headless Chromium on the local stack: sign in with the workspace's key,
find a message sent through the API, open it (its timeline, provider attempts, waterfall and
preview) and resend it, cancel another, send a test of a template, read the event web's
last hour and a function's failures, follow the list live, redrive a dead letter; axe-core
checks every page visited, and a screenshot of each is kept under ``test-artifacts/console/``
(not committed)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from google.cloud import pubsub_v1  # type: ignore[attr-defined]

from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.ids import hash_api_key
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.axe import assert_accessible
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
        assert_accessible(browser)
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
        assert_accessible(browser)

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
        attempts = browser.evaluate(
            "[...document.querySelectorAll('#attempts tbody tr')]"
            ".map(r => [...r.cells].map(c => c.textContent))"
        )
        assert [row[:4] for row in attempts] == [["email", "smtp", "DONE", "1"]], attempts
        assert re.fullmatch(r"\d+ ms", attempts[0][5]), attempts

        def waterfall_functions() -> set[str]:
            browser.open(f"{base}/console/messages/{sent}")
            cells = browser.evaluate(
                "[...document.querySelectorAll('#waterfall tbody tr td:nth-child(2)')]"
                ".map(c => c.textContent)"
            )
            return set(cells)

        # The spans of the functions that sent it, read back from the span files.
        functions = {"herald-api", "herald-relay", "herald-render", "herald-deliver"}
        eventually(lambda: functions <= waterfall_functions(), what="the message's waterfall")
        browser.screenshot(ARTIFACTS / "3-message.png")
        assert_accessible(browser)

        # Resent: a new message of the same content, recorded as the original's resend.
        browser.click("form[action$='/resend'] button[type=submit]")
        browser.wait_for(
            "location.search === '?notice=resent' && document.readyState === 'complete'"
        )
        resent = browser.evaluate("location.pathname").removeprefix("/console/messages/")
        assert resent != sent and api.get(f"/messages/{resent}")["resentFrom"] == sent
        resend_of = browser.evaluate(
            "[...document.querySelectorAll('dt')].find(e => e.textContent === 'Resend of')"
            ".nextElementSibling.querySelector('a').getAttribute('href')"
        )
        assert resend_of == f"/console/messages/{sent}"
        assert_accessible(browser)
        eventually(lambda: status_of(api, resent) == "SENT", what="the resend sent")

        browser.open(f"{base}/console/messages/{delayed}")
        browser.click("form[action$='/cancel'] button[type=submit]")
        browser.wait_for(
            "location.search === '?notice=canceled' && document.readyState === 'complete'"
        )
        assert "The message was canceled." in browser.evaluate(
            "document.querySelector('[role=status]').textContent"
        )
        browser.screenshot(ARTIFACTS / "4-canceled.png")
        assert_accessible(browser)

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
        assert_accessible(browser)

        # The template edited: a mistake shown in place with its line and column as it is
        # typed, then the preview with sample data, then saved.
        browser.open(f"{base}/console/templates")
        assert_accessible(browser)
        browser.click(f"a[href='/console/templates/{template}']")
        browser.wait_for(
            f"location.pathname === '/console/templates/{template}'"
            " && document.readyState === 'complete'"
        )
        assert_accessible(browser)
        browser.evaluate("window.stayed = true")  # gone if the page were loaded again
        browser.evaluate("document.querySelector('#data').value = ''")
        browser.type_into("#data", '{"name": "Grace", "code": "4711", "vip": true}')
        browser.evaluate("document.querySelector('#body').value = ''")
        browser.type_into("#body", "Your code is {{code}}.\n{{#if vip}}Thanks!")
        browser.wait_for("(document.querySelector('#problem') || {}).innerText?.includes('line 2')")
        problem = browser.evaluate("document.querySelector('#problem').innerText")
        assert "body, line 2, column 1:" in problem, problem
        assert (
            browser.evaluate("document.querySelector('#body').getAttribute('aria-invalid')")
            == "true"
        )
        browser.screenshot(ARTIFACTS / "6-template-error.png")
        assert_accessible(browser)
        browser.type_into("#body", "{{/if}}")
        expected = "Your code is 4711.\nThanks!"
        browser.wait_for(
            f"(document.querySelector('#preview-text') || {{}}).textContent === {expected!r}"
        )
        assert browser.evaluate("window.stayed") is True
        assert "Hi Grace" in browser.evaluate(
            "document.querySelector('#preview-subject').textContent"
        )
        browser.screenshot(ARTIFACTS / "7-template-preview.png")
        assert_accessible(browser)
        browser.click("button[value=save]")
        browser.wait_for(
            "location.search === '?notice=saved' && document.readyState === 'complete'"
        )
        saved = api.get(f"/templates/{template}")["content"]["body"]
        assert saved == "Your code is {{code}}.\n{{#if vip}}Thanks!{{/if}}"

        browser.open(f"{base}/console/suppressions")
        assert_accessible(browser)

        browser.open(f"{base}/console/events")
        assert browser.evaluate("document.querySelectorAll('svg line').length") > 10
        # The last hour on each edge, from the spans the functions wrote: this test's sends
        # (the first, its resend, the test send; the delayed one) at least.
        edges = browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#edge-counts tbody tr')]"
            ".map(r => [r.dataset.edge, Number(r.cells[3].textContent)]))"
        )
        assert edges["api→message.enqueued"] >= 4, edges
        assert edges["message.enqueued→render"] >= 4, edges
        assert edges["message.rendered→deliver"] >= 3, edges
        figures = browser.evaluate(
            "[...document.querySelectorAll('svg text.edge-figures')].map(t => t.textContent)"
        )
        assert len(figures) == len(edges) and any("p95" in f for f in figures), figures
        browser.screenshot(ARTIFACTS / "8-event-web.png")
        assert_accessible(browser)
        browser.click("svg a[href='/console/functions/deliver']")
        browser.wait_for(
            "location.pathname === '/console/functions/deliver'"
            " && document.readyState === 'complete'"
        )
        assert "No span of this workspace's events failed in deliver" in browser.evaluate(
            "document.body.innerText"
        )
        browser.screenshot(ARTIFACTS / "8b-function.png")
        assert_accessible(browser)
    assert status_of(api, delayed) == "CANCELED"


def sign_in(browser: Browser, base: str, key: str) -> None:
    browser.open(f"{base}/console/sign-in")
    browser.type_into("#key", key)
    browser.click("button[type=submit]")
    browser.wait_for(
        "location.pathname === '/console/messages' && document.readyState === 'complete'"
    )


def test_the_list_follows_new_messages_and_a_dead_letter_is_previewed_then_redriven(
    stack: Stack, own_workspace_api: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CHROMIUM is not None and own_workspace_api.key
    api, key = own_workspace_api, own_workspace_api.key
    workspace = stack.adapters().keys.workspace_for(hash_api_key(key))
    assert workspace
    tag = f"live-{uuid.uuid4().hex[:8]}"
    first = api.send(
        {
            "to": {"email": "ada@example.com"},
            "content": elemental("One", "1"),
            "metadata": {"tags": [tag]},
        }
    )
    eventually(lambda: status_of(api, first) == "SENT", what="the first message sent")
    base = stack.base_url

    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        sign_in(browser, base, key)
        browser.open(f"{base}/console/messages?tag={tag}")
        assert browser.evaluate("[...document.querySelectorAll('tbody tr')].length") == 1
        browser.evaluate("window.stayed = true")  # gone if the page were loaded again
        second = api.send(
            {
                "to": {"email": "bob@example.com"},
                "content": elemental("Two", "2"),
                "metadata": {"tags": [tag]},
            }
        )
        # The script polls the list's JSON: the new message's row appears in place.
        browser.wait_for(f"document.querySelector('tr[data-id=\"{second}\"]') !== null")
        assert browser.evaluate("window.stayed") is True
        rows = browser.evaluate("[...document.querySelectorAll('tbody tr')].map(r => r.dataset.id)")
        assert rows == [second, first]
        assert "The list changed" in browser.evaluate(
            "document.querySelector('#live-status').textContent"
        )
        browser.screenshot(ARTIFACTS / "9-live-list.png")
        assert_accessible(browser)

        # A consumer's dead letter: the first message's message.sent, as Pub/Sub leaves it.
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", stack.emulators.pubsub_host)
        sent = next(
            e for e in api.get(f"/messages/{first}/history")["results"] if e["type"] == "SENT"
        )
        spec = spec_for("message.sent")
        envelope = EventEnvelope(
            id=sent["eventId"],
            type=spec.name,
            version=spec.version,
            workspace=workspace,
            message_id=first,
            request_id=first,
            seq=int(sent["eventId"].rsplit(":", 1)[-1]),
            occurred_ms=sent["ts"],
            payload=sent["data"],
        )
        publisher = pubsub_v1.PublisherClient()
        publisher.publish(
            publisher.topic_path(stack.emulators.project, spec.dead_letter_topic("webhooks")),
            envelope.model_dump_json().encode(),
            **envelope.attributes(),
        ).result(timeout=30)

        def previewed() -> bool:
            browser.open(f"{base}/console/dead-letters")
            return bool(browser.evaluate(f"document.body.innerText.includes({envelope.id!r})"))

        eventually(previewed, what="the dead letter previewed")
        assert (
            browser.evaluate("document.querySelector('table.dead-letters').dataset.consumer")
            == "webhooks"
        )
        browser.screenshot(ARTIFACTS / "10-dead-letters.png")
        assert_accessible(browser)
        # The event web's webhooks function shows it among its recent failures.
        browser.open(f"{base}/console/functions/webhooks")
        assert envelope.id in browser.evaluate(
            "document.querySelector('#function-dead-letters').innerText"
        )
        assert_accessible(browser)

        def redriven() -> bool:
            if not previewed():
                return True  # gone: redriven by the click before
            browser.click("form[action='/console/dead-letters/redrive'] button[type=submit]")
            browser.wait_for(
                "location.search.startsWith('?redriven=') && document.readyState === 'complete'"
            )
            return bool(browser.evaluate("location.search === '?redriven=1'"))

        eventually(redriven, what="the dead letter redriven")
        browser.screenshot(ARTIFACTS / "11-redriven.png")
        assert_accessible(browser)
        assert not previewed()


def fill(browser: Browser, selector: str, text: str) -> None:
    """Empties the field, then types ``text`` into it."""
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).value = ''")
    browser.type_into(selector, text)


def test_brands_lists_topics_and_keys_edited_by_keyboard(
    stack: Stack, own_workspace_api: Client, tmp_path: Path
) -> None:
    assert CHROMIUM is not None and own_workspace_api.key
    api, key = own_workspace_api, own_workspace_api.key
    brand = {"id": "acme", "name": "Acme <b>", "settings": {"colors": {"primary": "#0a7d4b"}}}
    assert api.request("POST", "/brands", brand)[0] in (200, 201)
    assert api.request("PUT", "/lists/news", {"name": "News"})[0] == 204
    assert api.request("PUT", "/lists/news/subscriptions/ada", {})[0] == 204
    topic = {"topic_name": "Digest", "default_status": "OPTED_OUT"}
    assert api.request("PUT", "/preferences/topics/digest", topic)[0] == 200
    base = stack.base_url

    with Browser(CHROMIUM, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        sign_in(browser, base, key)
        browser.open(f"{base}/console/brands")
        assert_accessible(browser)
        browser.press_enter("a[href='/console/brands/acme']")
        browser.wait_for(
            "location.pathname === '/console/brands/acme' && document.readyState === 'complete'"
        )
        frame = browser.evaluate(
            "(() => { const f = document.querySelector('iframe.preview');"
            " return {sandbox: f.getAttribute('sandbox'), reachable: f.contentDocument !== null,"
            " colour: f.getAttribute('srcdoc').includes('#0a7d4b')}; })()"
        )
        assert frame == {"sandbox": "", "reachable": False, "colour": True}
        # The name, hostile as it is, is text in its field.
        assert browser.evaluate("document.querySelector('#name').value") == "Acme <b>"
        browser.screenshot(ARTIFACTS / "12-brand.png")
        assert_accessible(browser)

        # Edited by keyboard: a colour the API refuses is named beside its field, in place.
        fill(browser, "#name", "Acme Blue")
        fill(browser, "#primary", "red;background:url(x)")
        fill(browser, "#logo", "https://cdn.example.com/acme.png")
        browser.press_enter("form[action='/console/brands/acme'] button[type=submit]")
        browser.wait_for("document.querySelector('#primary-problem') !== null")
        assert "settings.colors.primary: is not a colour" in browser.evaluate(
            "document.querySelector('#primary-problem').textContent"
        )
        assert (
            browser.evaluate("document.querySelector('#primary').getAttribute('aria-invalid')")
            == "true"
        )
        assert browser.evaluate("document.querySelector('#name').value") == "Acme Blue"
        browser.screenshot(ARTIFACTS / "12b-brand-refused.png")
        assert_accessible(browser)
        fill(browser, "#primary", "#1144aa")
        browser.press_enter("form[action='/console/brands/acme'] button[type=submit]")
        browser.wait_for(
            "location.search === '?notice=saved' && document.readyState === 'complete'"
        )
        saved = api.get("/brands/acme")
        assert saved["name"] == "Acme Blue"
        assert saved["settings"]["colors"]["primary"] == "#1144aa"
        # The layout previewed is the saved one.
        assert browser.evaluate(
            "document.querySelector('iframe.preview').getAttribute('srcdoc').includes('#1144aa')"
        )
        browser.screenshot(ARTIFACTS / "12c-brand-saved.png")
        assert_accessible(browser)

        # A list made, a subscriber added and another removed, by keyboard.
        browser.open(f"{base}/console/lists")
        assert_accessible(browser)
        fill(browser, "#list_id", "ops")
        fill(browser, "#name", "Operators <i>")
        browser.press_enter("form[action='/console/lists'] button[type=submit]")
        browser.wait_for(
            "location.pathname === '/console/lists/ops' && document.readyState === 'complete'"
        )
        fill(browser, "#user_id", "grace")
        browser.press_enter("form[action='/console/lists/ops/subscribers'] button[type=submit]")
        browser.wait_for(
            "location.search === '?notice=subscribed' && document.readyState === 'complete'"
        )
        assert api.get("/lists/ops")["name"] == "Operators <i>"
        browser.open(f"{base}/console/lists/news")
        fill(browser, "#user_id", "bob")
        browser.press_enter("form[action='/console/lists/news/subscribers'] button[type=submit]")
        browser.wait_for(
            "location.search === '?notice=subscribed' && document.readyState === 'complete'"
        )
        browser.press_enter("form[action='/console/lists/news/subscribers/ada/remove'] button")
        browser.wait_for(
            "location.search === '?notice=removed' && document.readyState === 'complete'"
        )
        assert browser.evaluate(
            "[...document.querySelectorAll('#subscribers tbody td:first-child')]"
            ".map(c => c.textContent)"
        ) == ["bob"]
        subscribed = api.get("/lists/news/subscriptions")["items"]
        assert [s["recipientId"] for s in subscribed] == ["bob"]
        browser.screenshot(ARTIFACTS / "14-list.png")
        assert_accessible(browser)

        # A topic made, then its default status changed.
        browser.open(f"{base}/console/topics")
        assert "OPTED_OUT" in browser.evaluate("document.querySelector('#topics').innerText")
        assert_accessible(browser)
        fill(browser, "#topic_id", "launches")
        fill(browser, "#topic_name", "Launches")
        browser.press_enter("form[action='/console/topics'] button[type=submit]")
        browser.wait_for(
            "location.pathname === '/console/topics/launches' && document.readyState === 'complete'"
        )
        browser.evaluate("document.querySelector('#default_status').value = 'REQUIRED'")
        browser.press_enter("form[action='/console/topics/launches'] button[type=submit]")
        browser.wait_for(
            "location.search === '?notice=saved' && document.readyState === 'complete'"
        )
        topic_saved = api.get("/preferences/topics/launches")
        assert (topic_saved["topic_name"], topic_saved["default_status"]) == (
            "Launches",
            "REQUIRED",
        )
        browser.screenshot(ARTIFACTS / "15-topic.png")
        assert_accessible(browser)

        # A key created by keyboard, shown once, that opens the workspace; then revoked.
        browser.open(f"{base}/console/keys")
        assert_accessible(browser)
        browser.press_enter("form[action='/console/keys'] button[type=submit]")
        browser.wait_for("document.querySelector('#new-key') !== null")
        new_key = browser.evaluate("document.querySelector('#new-key').value")
        assert new_key.startswith("hk_")
        assert Client(base, new_key).request("GET", "/messages")[0] == 200
        browser.screenshot(ARTIFACTS / "13-keys.png")
        assert_accessible(browser)
        key_id = browser.evaluate(
            "[...document.querySelectorAll('#keys tbody tr')]"
            ".find(r => r.cells[1].textContent === " + repr(new_key[:7]) + ")"
            ".cells[0].textContent"
        )
        browser.press_enter(f"form[action='/console/keys/{key_id}/revoke'] button")
        browser.wait_for(
            "location.search === '?notice=revoked' && document.readyState === 'complete'"
        )
        assert Client(base, new_key).request("GET", "/messages")[0] == 401
        assert_accessible(browser)
