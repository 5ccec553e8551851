"""Unsubscribe, the preferences page and tracking through the HTTP layer, on in-memory stores."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.engagement.links import LinkMaker
from herald.engagement.tokens import LinkSigner, LinkToken
from herald.ids import hash_api_key
from herald.store.base import WorkspaceSettings
from tests.unit.fakes import Pipeline
from tests.unit.test_api import KEY, call

BASE = "https://herald.test"
SIGNER = LinkSigner(["unit-secret"])
LINKS = LinkMaker(BASE, SIGNER)
ELEMENTAL = {
    "version": "2022-01-01",
    "elements": [
        {"type": "meta", "title": "Deals"},
        {"type": "text", "content": "Hello"},
        {"type": "action", "content": "Shop", "href": "https://shop.example/deals?a=1&b=2"},
    ],
}


def make_api(links: LinkMaker | None = LINKS) -> tuple[Api, Pipeline]:
    pipeline = Pipeline(links=links)
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    return pipeline.api, pipeline


def public(api: Api, method: str, link: str, body: bytes = b"", **query: str) -> HttpResponse:
    return api.handle(HttpRequest(method, link.removeprefix(BASE), {}, body, query))


def send(api: Api, pipeline: Pipeline, to: dict[str, Any], topic: str | None = "digest") -> str:
    message: dict[str, Any] = {"to": to, "content": {"title": "News", "body": "Hi"}}
    if topic:
        message["preferences"] = {"subscription_topic_id": topic}
    response = call(api, "POST", "/send", {"message": message})
    assert response.status == 202, response.body
    pipeline.drain()
    request_id: str = response.body["requestId"]
    return request_id


def topics(api: Api) -> None:
    call(api, "PUT", "/preferences/topics/digest", {"topic_name": "Weekly <digest>"})
    call(
        api,
        "PUT",
        "/preferences/topics/security",
        {"topic_name": "Security alerts", "default_status": "REQUIRED"},
    )


def last_email(pipeline: Pipeline) -> dict[str, Any]:
    rendered: dict[str, Any] = pipeline.email.sent[-1].rendered
    return rendered


def test_one_click_unsubscribe_stops_the_next_send_of_that_topic_only() -> None:
    api, pipeline = make_api()
    topics(api)
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    first = send(api, pipeline, {"user_id": "ada"})
    assert call(api, "GET", f"/messages/{first}").body["status"] == "SENT"
    url = last_email(pipeline)["list_unsubscribe"]

    # Opening the link asks; only the POST unsubscribes (scanners open links).
    page = public(api, "GET", url)
    assert page.status == 200 and page.raw is not None
    assert 'value="One-Click"' in page.raw.decode()
    assert "Weekly &lt;digest&gt;" in page.raw.decode()
    assert send(api, pipeline, {"user_id": "ada"}) and len(pipeline.email.sent) == 2

    done = public(api, "POST", url, b"List-Unsubscribe=One-Click")
    assert done.status == 200 and done.headers["content-type"].startswith("text/html")
    stored = call(api, "GET", "/users/ada/preferences/digest").body["topic"]
    assert stored["status"] == "OPTED_OUT"

    stopped = send(api, pipeline, {"user_id": "ada"})
    message = call(api, "GET", f"/messages/{stopped}").body
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "UNSUBSCRIBED")
    assert len(pipeline.email.sent) == 2
    # Another topic, and mail without one, still go out.
    assert send(api, pipeline, {"user_id": "ada"}, topic=None)
    assert len(pipeline.email.sent) == 3


def test_an_email_only_recipient_is_unsubscribed_by_address() -> None:
    api, pipeline = make_api()
    topics(api)
    send(api, pipeline, {"email": "Bob@Example.com"})
    url = last_email(pipeline)["list_unsubscribe"]
    assert public(api, "POST", url, b"List-Unsubscribe=One-Click").status == 200
    stopped = send(api, pipeline, {"email": "bob@example.com"})
    assert call(api, "GET", f"/messages/{stopped}").body["reason"] == "UNSUBSCRIBED"
    # A user with that address keeps their own choices.
    call(api, "POST", "/profiles/bob", {"profile": {"email": "bob@example.com"}})
    sent = send(api, pipeline, {"user_id": "bob"})
    assert call(api, "GET", f"/messages/{sent}").body["status"] == "SENT"


def test_bad_tampered_and_expired_unsubscribe_links_change_nothing() -> None:
    api, pipeline = make_api()
    topics(api)
    send(api, pipeline, {"email": "ada@example.com"})
    url = last_email(pipeline)["list_unsubscribe"]
    head, _, signature = url.rpartition(".")
    forged = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert public(api, "POST", forged).status == 404
    expired = LINKS.url(
        LinkToken("unsubscribe", "ws1", "m", 1, address="ada@example.com", topic_id="digest")
    )
    gone = public(api, "POST", expired)
    assert gone.status == 410 and b"expired" in (gone.raw or b"")
    # A preferences link is no unsubscribe link.
    prefs = last_email(pipeline)["preferences_url"].replace("/preferences/", "/unsubscribe/")
    assert public(api, "POST", prefs).status == 404
    assert send(api, pipeline, {"email": "ada@example.com"}) and len(pipeline.email.sent) == 2


def test_without_a_link_secret_mail_has_no_links_and_the_routes_are_404() -> None:
    api, pipeline = make_api(links=None)
    topics(api)
    send(api, pipeline, {"email": "ada@example.com"})
    assert "list_unsubscribe" not in last_email(pipeline)
    token = SIGNER.sign(LinkToken("open", "ws1", "m", 2**40))
    assert public(api, "GET", f"/track/open/{token}").status == 404


def form_fields(page: str) -> dict[str, list[str]]:
    """What the browser would post: hidden inputs and checked, enabled checkboxes."""
    fields: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        attrs = dict(re.findall(r'(\w[\w-]*)(?:="([^"]*)")?', tag[7:-1]))
        if "disabled" in attrs or (attrs.get("type") == "checkbox" and "checked" not in attrs):
            continue
        fields.setdefault(html.unescape(attrs["name"]), []).append(html.unescape(attrs["value"]))
    return fields


def test_the_preferences_page_lists_topics_locks_required_ones_and_saves_switches() -> None:
    api, pipeline = make_api()
    topics(api)
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    send(api, pipeline, {"user_id": "ada"})
    url = last_email(pipeline)["preferences_url"]
    shown = public(api, "GET", url)
    assert shown.status == 200
    assert shown.headers["x-frame-options"] == "DENY"
    assert "script-src" not in shown.headers["content-security-policy"]
    page = (shown.raw or b"").decode()
    assert '<html lang="en">' in page and "<h1>Your preferences</h1>" in page
    assert "<legend>Weekly &lt;digest&gt;</legend>" in page
    assert "<legend>Security alerts</legend>" in page
    # Sorted by name: Security alerts (REQUIRED: shown, locked, explained), then the digest.
    assert page.count('disabled aria-describedby="topic-0-note"') == 4
    assert 'id="topic-0-note">Required' in page
    assert '<label for="topic-1-email">Email</label>' in page

    fields = form_fields(page)
    assert fields["t:digest"] == ["email", "sms", "push", "direct_message"]
    fields["t:digest"] = ["email"]
    saved = public(api, "POST", url, urlencode(fields, doseq=True).encode())
    assert (saved.status, saved.headers["location"]) == (303, url + "?saved=1")
    choice = call(api, "GET", "/users/ada/preferences/digest").body["topic"]
    assert choice["custom_routing"] == ["email"]
    again = (public(api, "GET", url, saved="1").raw or b"").decode()
    assert 'role="status"' in again
    assert 'name="t:digest" value="sms">' in again  # no longer checked

    fields["t:digest"] = []
    public(api, "POST", url, urlencode(fields, doseq=True).encode())
    assert call(api, "GET", "/users/ada/preferences/digest").body["topic"]["status"] == "OPTED_OUT"
    # A REQUIRED topic cannot be switched off, whatever is posted.
    fields["t:security"] = []
    fields["shown"] = ["digest", "security"]
    public(api, "POST", url, urlencode(fields, doseq=True).encode())
    assert call(api, "GET", "/users/ada/preferences/security").body["topic"]["status"] == "REQUIRED"


def test_a_post_without_the_pages_nonce_is_refused_and_stores_nothing() -> None:
    api, pipeline = make_api()
    topics(api)
    send(api, pipeline, {"email": "ada@example.com"})
    url = last_email(pipeline)["preferences_url"]
    refused = public(api, "POST", url, urlencode({"shown": "digest"}).encode())
    assert refused.status == 403 and b'role="alert"' in (refused.raw or b"")
    assert (
        pipeline.documents.get("ws1", ("addresses", "ada@example.com", "preferences", "digest"))
        is None
    )
    # The address's own page offers email only.
    page = (public(api, "GET", url).raw or b"").decode()
    assert 'value="sms"' not in page and 'name="t:digest" value="email" checked' in page


def test_the_pixel_records_the_first_open_and_a_click_redirects_to_the_real_link() -> None:
    api, pipeline = make_api()
    pipeline.workspaces.save_settings("ws1", WorkspaceSettings(tracking=True))
    response = call(
        api,
        "POST",
        "/send",
        {"message": {"to": {"email": "ada@example.com"}, "content": ELEMENTAL}},
    )
    message_id = response.body["requestId"]
    pipeline.drain()
    markup = last_email(pipeline)["html"]
    pixel = re.search(r'<img src="([^"]+)"', markup)
    click = re.search(r'href="(https://herald.test/track/click/[^"]+)"', markup)
    assert pixel and click

    gif = public(api, "GET", html.unescape(pixel[1]))
    assert (gif.status, gif.headers["content-type"], (gif.raw or b"")[:6]) == (
        200,
        "image/gif",
        b"GIF89a",
    )
    pipeline.drain()
    opened = call(api, "GET", f"/messages/{message_id}").body
    assert (opened["status"], opened["clicked"]) == ("OPENED", None)
    assert opened["opened"] is not None
    public(api, "GET", html.unescape(pixel[1]))  # again: the first open stays
    assert call(api, "GET", f"/messages/{message_id}").body["opened"] == opened["opened"]

    followed = public(api, "GET", html.unescape(click[1]))
    assert (followed.status, followed.headers["location"]) == (
        302,
        "https://shop.example/deals?a=1&b=2",
    )
    pipeline.drain()
    clicked = call(api, "GET", f"/messages/{message_id}").body
    assert clicked["status"] == "CLICKED" and clicked["clicked"] >= clicked["opened"]
    history = call(api, "GET", f"/messages/{message_id}/history").body["results"]
    assert [h["type"] for h in history][-2:] == ["OPENED", "CLICKED"]


def test_a_click_link_never_redirects_anywhere_but_its_signed_link() -> None:
    api, _ = make_api()
    good = SIGNER.sign(LinkToken("click", "ws1", "m", 2**40, link="https://shop.example/"))
    # Any change to a sealed token: refused.
    changed = good[:-30] + ("A" if good[-30] != "A" else "B") + good[-29:]
    assert public(api, "GET", f"/track/click/{changed}").status == 404
    # Only http(s) targets, even signed ones.
    script = SIGNER.sign(LinkToken("click", "ws1", "m", 2**40, link="javascript:alert(1)"))
    assert public(api, "GET", f"/track/click/{script}").status == 404
    # An open token is no click token; a query parameter is no target.
    opened = SIGNER.sign(LinkToken("open", "ws1", "m", 2**40))
    assert public(api, "GET", f"/track/click/{opened}").status == 404
    followed = public(api, "GET", f"/track/click/{good}", url="https://evil.example/")
    assert followed.headers["location"] == "https://shop.example/"
    # Past its expiry a click still reaches its own link, and records nothing.
    old = SIGNER.sign(LinkToken("click", "ws1", "m", 1, link="https://shop.example/old"))
    assert (
        public(api, "GET", f"/track/click/{old}").headers["location"] == "https://shop.example/old"
    )
