"""The console's brands (the email layout previewed in the sandboxed frame), lists and
their subscribers, preference topics and API keys: one workspace's only, forms with their
token, hostile text shown as text."""

from __future__ import annotations

import re
from html import unescape

from herald.api.routes import console_workspace
from herald.api.routes.console_workspace import MAX_CURSOR_CHARS
from herald.console.pages import SECURITY_HEADERS
from herald.ids import hash_api_key
from herald.resources.audit_events import AuditLog
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_console import (
    HOSTILE,
    KEY,
    OTHER_KEY,
    Browser,
    form_token,
    make_pipeline,
    signed_in,
    text,
)

BRAND = {"id": "acme", "name": "Acme", "settings": {"colors": {"primary": "#0a7d4b"}}}


def seeded(key: str = KEY, name: str = "Acme") -> Pipeline:
    pipeline = make_pipeline()
    seed(pipeline, key, name)
    return pipeline


def seed(pipeline: Pipeline, key: str, name: str) -> None:
    brand = {**BRAND, "name": name}
    assert call(pipeline.api, "POST", "/brands", brand, key=key).status in (200, 201)
    assert call(pipeline.api, "PUT", "/lists/news", {"name": name}, key=key).status == 204
    subscribed = call(pipeline.api, "PUT", "/lists/news/subscriptions/ada", {}, key=key)
    assert subscribed.status == 204, subscribed.body
    topic = {"topic_name": name, "default_status": "OPTED_OUT", "allowed_channels": ["email"]}
    put = call(pipeline.api, "PUT", "/preferences/topics/digest", topic, key=key)
    assert put.status == 200, put.body


def test_every_page_and_form_answer_carries_the_security_headers() -> None:
    pipeline = seeded()
    browser = signed_in(pipeline)
    token = form_token(text(browser.get("/console/keys")))
    answers = [
        browser.get("/console/brands"),
        browser.get("/console/brands/acme"),
        browser.get("/console/brands/nope"),
        browser.get("/console/lists"),
        browser.get("/console/lists/news"),
        browser.get("/console/lists/nope"),
        browser.get("/console/lists", cursor="x" * (MAX_CURSOR_CHARS + 1)),
        browser.get("/console/topics"),
        browser.get("/console/topics/digest"),
        browser.get("/console/topics/nope"),
        browser.get("/console/keys"),
        browser.post("/console/keys", {"csrf": ""}),
        browser.post("/console/keys", {"csrf": token}),
        browser.post("/console/keys/nope/revoke", {"csrf": token}),
    ]
    gets = {r.template for r in console_workspace.router.routes if r.method == "GET"}
    assert gets == {
        "/console/brands",
        "/console/brands/{brand_id}",
        "/console/lists",
        "/console/lists/{list_id}",
        "/console/topics",
        "/console/topics/{topic_id}",
        "/console/keys",
    }
    assert [a.status for a in answers] == [
        200,
        200,
        404,
        200,
        200,
        404,
        400,
        200,
        200,
        404,
        200,
        403,
        201,
        404,
    ]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (answer.status, name)
    # Not signed in: to the sign-in page.
    for path in sorted(gets):
        concrete = (
            path.replace("{brand_id}", "acme")
            .replace("{list_id}", "news")
            .replace("{topic_id}", "digest")
        )
        assert Browser(pipeline.api).get(concrete).headers["location"] == "/console/sign-in"


def test_a_brand_is_shown_with_its_email_layout_in_a_frame_without_permissions() -> None:
    browser = signed_in(seeded())
    listed = text(browser.get("/console/brands"))
    assert '<a href="/console/brands/acme"><code>acme</code></a>' in listed and "#0a7d4b" in listed
    page = text(browser.get("/console/brands/acme"))
    frame = re.search(r'<iframe class="preview" sandbox="" srcdoc="([^"]*)"', page)
    assert frame, page
    email = unescape(frame[1])
    # The layout in the brand's colour, around the sample.
    assert "#0a7d4b" in email and "A message in this brand" in email


def test_lists_show_their_subscribers() -> None:
    browser = signed_in(seeded())
    assert '<a href="/console/lists/news"><code>news</code></a>' in text(
        browser.get("/console/lists")
    )
    page = text(browser.get("/console/lists/news"))
    subscribers = re.search(r'<table id="subscribers">.*?</table>', page, re.S)
    assert subscribers and "<code>ada</code>" in subscribers[0]


def test_topics_show_their_default_and_channels() -> None:
    page = text(signed_in(seeded()).get("/console/topics"))
    row = re.search(
        r'<tr>\s*<td><a href="/console/topics/digest"><code>digest</code></a></td>(.*?)</tr>',
        page,
        re.S,
    )
    assert row and "OPTED_OUT" in row[1] and "email" in row[1]


def test_another_workspaces_brands_lists_and_topics_are_not_there() -> None:
    pipeline = make_pipeline()
    seed(pipeline, OTHER_KEY, "Theirs")
    browser = signed_in(pipeline)
    assert browser.get("/console/brands/acme").status == 404
    assert browser.get("/console/lists/news").status == 404
    assert browser.get("/console/topics/digest").status == 404
    for page in ("/console/brands", "/console/lists", "/console/topics"):
        assert "Theirs" not in text(browser.get(page))


def test_a_cursor_is_bounded_and_named() -> None:
    browser = signed_in(seeded())
    for page in ("/console/brands", "/console/lists", "/console/lists/news", "/console/topics"):
        assert browser.get(page, cursor="x" * MAX_CURSOR_CHARS).status == 200
        refused = browser.get(page, cursor="x" * (MAX_CURSOR_CHARS + 1))
        assert refused.status == 400 and f"cursor: at most {MAX_CURSOR_CHARS}" in text(refused)


def test_hostile_names_are_shown_as_text() -> None:
    browser = signed_in(seeded(name=HOSTILE[:200]))
    for page in (
        "/console/brands",
        "/console/brands/acme",
        "/console/lists",
        "/console/lists/news",
        "/console/topics",
        "/console/topics/digest",
    ):
        shown = text(browser.get(page))
        assert "<script>" not in shown and "<img src=x" not in shown, page
        assert "&lt;script&gt;" in shown, page


def key_ids(page: str) -> list[str]:
    return re.findall(r'action="/console/keys/([0-9a-f]+)/revoke"', page)


def test_a_new_key_is_shown_once_opens_the_workspace_and_is_audited_as_the_consoles() -> None:
    pipeline = make_pipeline()
    browser = signed_in(pipeline)
    page = text(browser.get("/console/keys"))
    before = key_ids(page)
    for token in ("", "forged"):
        assert browser.post("/console/keys", {"csrf": token}).status == 403
    assert key_ids(text(browser.get("/console/keys"))) == before
    created = browser.post("/console/keys", {"csrf": form_token(page)})
    assert created.status == 201
    found = re.search(r'id="new-key" readonly size="60" value="(hk_[^"]+)"', text(created))
    assert found
    new_key = found[1]
    assert call(pipeline.api, "GET", "/messages", key=new_key).status == 200
    assert pipeline.keys.workspace_for(hash_api_key(new_key)) == "ws1"
    again = text(browser.get("/console/keys"))
    assert new_key not in again and new_key[:7] in again  # its hint only
    assert len(key_ids(again)) == len(before) + 1
    [entry] = AuditLog(pipeline.documents).page("ws1", None)["results"]
    assert (entry["type"], entry["actor"], entry["source"]) == (
        "api_key.created",
        {"id": "console"},
        "console",
    )


def test_revoking_needs_the_token_and_only_the_workspaces_own_keys() -> None:
    pipeline = make_pipeline()
    browser = signed_in(pipeline)
    theirs = signed_in(pipeline, OTHER_KEY)
    their_id = key_ids(text(theirs.get("/console/keys")))[0]
    page = text(browser.get("/console/keys"))
    token = form_token(page)
    mine = key_ids(page)[0]
    assert browser.post(f"/console/keys/{their_id}/revoke", {"csrf": token}).status == 404
    assert call(pipeline.api, "GET", "/messages", key=OTHER_KEY).status == 200
    for bad in ("", "forged"):
        assert browser.post(f"/console/keys/{mine}/revoke", {"csrf": bad}).status == 403
    assert call(pipeline.api, "GET", "/messages", key=KEY).status == 200
    done = browser.post(f"/console/keys/{mine}/revoke", {"csrf": token})
    assert done.headers["location"] == "/console/keys?notice=revoked"
    assert call(pipeline.api, "GET", "/messages", key=KEY).status == 401
    after = text(browser.get("/console/keys", notice="revoked"))
    assert "The key was revoked" in after and mine not in key_ids(after)
    newest = AuditLog(pipeline.documents).page("ws1", None)["results"][0]
    assert (newest["type"], newest["target"], newest["source"]) == (
        "api_key.revoked",
        f"api_key:{mine}",
        "console",
    )
