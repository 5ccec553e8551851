"""The console's forms that change brands, lists and preference topics: the same services
as the API (so the same checks, and the result the API reads back), the token on every
form, a refusal named beside its input, one workspace's only, hostile text shown as text."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl

from herald.api.http import HttpResponse
from herald.api.routes import console_edits
from herald.console.pages import SECURITY_HEADERS
from herald.domain.audience import MAX_TOPIC_NAME
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
from tests.unit.test_console_workspace import seed, seeded

# Each form of the module, with what a valid post of it holds.
FORMS = {
    "/console/brands": {"id": "new-brand", "name": "New"},
    "/console/brands/acme": {"name": "Acme", "primary": "#111111", "secondary": "", "logo": ""},
    "/console/lists": {"list_id": "fresh", "name": "Fresh"},
    "/console/lists/news": {"name": "Renamed"},
    "/console/lists/news/subscribers": {"user_id": "grace"},
    "/console/lists/news/subscribers/ada/remove": {},
    "/console/topics": {
        "topic_id": "alerts",
        "topic_name": "Alerts",
        "default_status": "OPTED_IN",
        "section": "",
    },
    "/console/topics/digest": {"topic_name": "Digest", "default_status": "REQUIRED"},
}


def token(browser: Browser) -> str:
    return form_token(text(browser.get("/console/brands")))


def refusal(page: str, field: str) -> str:
    """The refusal shown beside the input ``field``, which is marked invalid."""
    found = re.search(rf'<input id="{field}" name="{field}"[^>]*>', page)
    assert found and 'aria-invalid="true"' in found[0], page
    assert f'aria-describedby="{field}-problem"' in found[0] or f"{field}-problem" in found[0]
    shown = re.search(rf'<span role="alert" id="{field}-problem"[^>]*>(.*?)</span>', page, re.S)
    assert shown, page
    return unescape(shown[1])


def follow(browser: Browser, answer: HttpResponse) -> str:
    """The page a redirect leads to."""
    path, _, query = answer.headers["location"].partition("?")
    return text(browser.get(path, **dict(parse_qsl(query))))


def api_get(pipeline: Pipeline, path: str, key: str = KEY) -> dict[str, Any]:
    answer = call(pipeline.api, "GET", path, key=key)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def test_every_form_is_declared_and_refused_without_its_token() -> None:
    posts = {r.template for r in console_edits.router.routes if r.method == "POST"}
    assert len(posts) == len(FORMS)
    pipeline = seeded()
    browser = signed_in(pipeline)
    written: list[object] = []
    stop = pipeline.documents.observe(lambda workspace, path, doc: written.append(path))
    for path, form in FORMS.items():
        for bad in ("", "forged"):
            answer = browser.post(path, {**form, "csrf": bad})
            assert answer.status == 403, path
            for name, value in SECURITY_HEADERS.items():
                assert answer.headers[name] == value, (path, name)
    stop()
    assert written == []
    assert [s["recipientId"] for s in api_get(pipeline, "/lists/news/subscriptions")["items"]] == [
        "ada"
    ]
    # With it, each changes what it names.
    good = token(browser)
    for path, form in FORMS.items():
        answer = browser.post(path, {**form, "csrf": good})
        assert answer.status == 303, (path, text(answer))
        assert answer.headers["location"].startswith("/console/"), path
    # Not signed in: to the sign-in page, nothing changed.
    for path, form in FORMS.items():
        answer = Browser(pipeline.api).post(path, {**form, "csrf": good})
        assert answer.headers["location"] == "/console/sign-in", path


def test_a_brand_is_saved_as_the_api_saves_it_and_its_layout_shows_the_change() -> None:
    pipeline = seeded()
    # Courier's settings Herald does not read are kept through the console's save.
    kept = {
        "name": "Acme",
        "settings": {"inapp": {"borderRadius": "4px"}, "colors": {"tertiary": "#222222"}},
    }
    assert call(pipeline.api, "PUT", "/brands/acme", kept, key=KEY).status == 200
    browser = signed_in(pipeline)
    form = {
        "name": "Acme Blue",
        "primary": "#1144aa",
        "secondary": "teal",
        "logo": "https://cdn.example.com/logo.png",
    }
    saved = browser.post("/console/brands/acme", {**form, "csrf": token(browser)})
    assert saved.headers["location"] == "/console/brands/acme?notice=saved"
    brand = api_get(pipeline, "/brands/acme")
    assert brand["name"] == "Acme Blue"
    assert brand["settings"] == {
        "inapp": {"borderRadius": "4px"},
        "colors": {"tertiary": "#222222", "primary": "#1144aa", "secondary": "teal"},
        "email": {"header": {"logo": {"image": "https://cdn.example.com/logo.png"}}},
    }
    page = text(browser.get("/console/brands/acme", notice="saved"))
    assert "The brand was saved" in page
    frame = re.search(r'<iframe class="preview" sandbox="" srcdoc="([^"]*)"', page)
    assert frame and "#1144aa" in unescape(frame[1]) and "#0a7d4b" not in unescape(frame[1])
    # An empty field takes its value out.
    cleared = {**form, "primary": "", "logo": "", "csrf": token(browser)}
    assert browser.post("/console/brands/acme", cleared).status == 303
    settings = api_get(pipeline, "/brands/acme")["settings"]
    assert settings == {
        "inapp": {"borderRadius": "4px"},
        "colors": {"tertiary": "#222222", "secondary": "teal"},
        "email": {"header": {"logo": {}}},
    }


def test_a_brands_refusals_are_named_beside_their_inputs_and_change_nothing() -> None:
    pipeline = seeded()
    browser = signed_in(pipeline)
    before = api_get(pipeline, "/brands/acme")
    valid = {"name": "Acme", "primary": "#0a7d4b", "secondary": "", "logo": ""}
    cases = {
        "primary": ("red;background:url(x)", "settings.colors.primary: is not a colour"),
        "secondary": ("expression(alert(1))", "settings.colors.secondary: is not a colour"),
        "logo": ("javascript:alert(1)", "settings.email.header.logo.image: is not an http(s) URL"),
        "name": ("x" * 201, "name: "),
    }
    for field, (value, named) in cases.items():
        refused = browser.post(
            "/console/brands/acme", {**valid, field: value, "csrf": token(browser)}
        )
        assert refused.status == 400, field
        page = text(refused)
        assert refusal(page, field).startswith(named), page
        # What was typed stays in the form, as text.
        assert f'value="{value}"' in page or value.startswith("x")
    assert api_get(pipeline, "/brands/acme") == before
    # The name's bound, at its limit.
    at_limit = {**valid, "name": "x" * 200, "csrf": token(browser)}
    assert browser.post("/console/brands/acme", at_limit).status == 303


def test_a_brand_is_made_with_its_id_checked() -> None:
    pipeline = make_pipeline()
    browser = signed_in(pipeline)
    for bad, named in (("_hidden", "id: must be"), ("", "name: ")):
        form = {"id": bad, "name": "" if not bad else "Fine", "csrf": token(browser)}
        refused = browser.post("/console/brands", form)
        assert refused.status == 400
        assert refusal(text(refused), "id" if bad else "name").startswith(named)
    made = browser.post("/console/brands", {"id": "fresh", "name": "Fresh", "csrf": token(browser)})
    assert made.headers["location"] == "/console/brands/fresh?notice=saved"
    assert api_get(pipeline, "/brands/fresh")["name"] == "Fresh"
    again = browser.post(
        "/console/brands", {"id": "fresh", "name": "Twice", "csrf": token(browser)}
    )
    assert again.status == 400 and refusal(text(again), "id").startswith("id: brand fresh exists")


def test_a_list_is_made_renamed_and_its_subscribers_added_and_removed() -> None:
    pipeline = make_pipeline()
    browser = signed_in(pipeline)
    made = browser.post("/console/lists", {"list_id": "ops", "name": "Ops", "csrf": token(browser)})
    assert made.headers["location"] == "/console/lists/ops?notice=created"
    assert api_get(pipeline, "/lists/ops")["name"] == "Ops"
    renamed = browser.post("/console/lists/ops", {"name": "Operators", "csrf": token(browser)})
    assert renamed.headers["location"] == "/console/lists/ops?notice=renamed"
    assert api_get(pipeline, "/lists/ops")["name"] == "Operators"
    for user in ("ada", "grace"):
        added = browser.post(
            "/console/lists/ops/subscribers", {"user_id": user, "csrf": token(browser)}
        )
        assert added.headers["location"] == "/console/lists/ops?notice=subscribed"
    removed = browser.post("/console/lists/ops/subscribers/ada/remove", {"csrf": token(browser)})
    assert removed.headers["location"] == "/console/lists/ops?notice=removed"
    listed = api_get(pipeline, "/lists/ops/subscriptions")["items"]
    assert [s["recipientId"] for s in listed] == ["grace"]
    page = text(browser.get("/console/lists/ops", notice="removed"))
    assert "The user was unsubscribed." in page and "<code>grace</code>" in page
    # Removing one not subscribed, or from a list not there: 404.
    again = browser.post("/console/lists/ops/subscribers/ada/remove", {"csrf": token(browser)})
    assert again.status == 404
    assert (
        browser.post(
            "/console/lists/none/subscribers", {"user_id": "x", "csrf": token(browser)}
        ).status
        == 404
    )


def test_a_lists_refusals_are_named_beside_their_inputs() -> None:
    pipeline = seeded()
    browser = signed_in(pipeline)
    cases = [
        ("/console/lists", {"list_id": "_x", "name": "A"}, "list_id", "list_id: must be"),
        ("/console/lists", {"list_id": "y" * 257, "name": "A"}, "list_id", "list_id: must be"),
        (
            "/console/lists",
            {"list_id": "news", "name": "A"},
            "list_id",
            "list_id: list news exists",
        ),
        ("/console/lists", {"list_id": "ok", "name": "n" * 201}, "name", "name: "),
        ("/console/lists/news", {"name": ""}, "name", "name: must not be blank"),
        ("/console/lists/news/subscribers", {"user_id": "__x__"}, "user_id", "user_id: must be"),
        ("/console/lists/news/subscribers", {"user_id": ""}, "user_id", "user_id: must be"),
    ]
    for path, form, field, named in cases:
        refused = browser.post(path, {**form, "csrf": token(browser)})
        assert refused.status == 400, (path, form)
        assert refusal(text(refused), field).startswith(named), (path, form)
    assert (
        browser.post(
            "/console/lists", {"list_id": "y" * 256, "name": "n" * 200, "csrf": token(browser)}
        ).status
        == 303
    )
    assert api_get(pipeline, "/lists/news")["name"] == "Acme"
    assert call(pipeline.api, "GET", "/lists/ok", key=KEY).status == 404


def test_a_topic_is_made_in_a_section_or_not_and_edited_keeping_its_channels() -> None:
    pipeline = seeded()  # the topic "digest": OPTED_OUT, email only
    browser = signed_in(pipeline)
    saved = browser.post(
        "/console/topics/digest",
        {"topic_name": "Weekly", "default_status": "REQUIRED", "csrf": token(browser)},
    )
    assert saved.headers["location"] == "/console/topics/digest?notice=saved"
    topic = api_get(pipeline, "/preferences/topics/digest")
    assert (topic["topic_name"], topic["default_status"], topic["allowed_channels"]) == (
        "Weekly",
        "REQUIRED",
        ["email"],
    )
    plain = {
        "topic_id": "alerts",
        "topic_name": "Alerts",
        "default_status": "OPTED_OUT",
        "section": "",
    }
    made = browser.post("/console/topics", {**plain, "csrf": token(browser)})
    assert made.headers["location"] == "/console/topics/alerts?notice=created"
    assert api_get(pipeline, "/preferences/topics/alerts")["default_status"] == "OPTED_OUT"
    section = call(pipeline.api, "POST", "/preferences/sections", {"name": "Product"}, key=KEY)
    assert section.status in (200, 201), section.body
    section_id = section.body["id"]
    listed = text(browser.get("/console/topics"))
    assert f'<option value="{section_id}">Product</option>' in listed
    in_section = {
        "topic_id": "",
        "topic_name": "Launches",
        "default_status": "OPTED_IN",
        "section": section_id,
    }
    made = browser.post("/console/topics", {**in_section, "csrf": token(browser)})
    new_id = (
        made.headers["location"].removeprefix("/console/topics/").removesuffix("?notice=created")
    )
    topics = api_get(pipeline, f"/preferences/sections/{section_id}/topics")["results"]
    assert [(t["id"], t["name"]) for t in topics] == [(new_id, "Launches")]
    page = text(browser.get(f"/console/topics/{new_id}"))
    assert "<dt>Section</dt><dd>Product</dd>" in page


def test_a_topics_refusals_are_named_beside_their_inputs() -> None:
    pipeline = seeded()
    browser = signed_in(pipeline)
    plain = {"topic_id": "t", "topic_name": "T", "default_status": "OPTED_IN", "section": ""}
    cases = [
        ({**plain, "topic_id": ".x"}, "topic_id", "topic_id: must be"),
        ({**plain, "topic_id": "digest"}, "topic_id", "topic_id: topic digest exists"),
        ({**plain, "default_status": "MAYBE"}, "default_status", "default_status: "),
        ({**plain, "topic_name": "n" * (MAX_TOPIC_NAME + 1)}, "topic_name", "topic_name: "),
        ({**plain, "section": "nope"}, "section", "section_id: not one of"),
    ]
    for form, field, named in cases:
        refused = browser.post("/console/topics", {**form, "csrf": token(browser)})
        assert refused.status == 400, form
        page = text(refused)
        if field in ("default_status", "section"):
            assert f'<select id="{field}" name="{field}" aria-invalid="true"' in page, page
            shown = re.search(rf'id="{field}-problem"[^>]*>(.*?)</span>', page, re.S)
            assert shown and unescape(shown[1]).startswith(named), page
        else:
            assert refusal(page, field).startswith(named), form
    at_limit = {**plain, "topic_name": "n" * MAX_TOPIC_NAME, "csrf": token(browser)}
    assert browser.post("/console/topics", at_limit).status == 303
    refused = browser.post(
        "/console/topics/digest",
        {"topic_name": "D", "default_status": "NO", "csrf": token(browser)},
    )
    assert refused.status == 400
    assert api_get(pipeline, "/preferences/topics/digest")["default_status"] == "OPTED_OUT"


def test_another_workspaces_brands_lists_and_topics_cannot_be_changed() -> None:
    pipeline = make_pipeline()
    seed(pipeline, OTHER_KEY, "Theirs")
    browser = signed_in(pipeline)
    good = token(browser)
    for path, form in FORMS.items():
        if path in ("/console/brands", "/console/lists", "/console/topics"):
            continue  # these make the signed-in workspace's own
        answer = browser.post(path, {**form, "csrf": good})
        assert answer.status == 404, path
    assert api_get(pipeline, "/brands/acme", OTHER_KEY)["name"] == "Theirs"
    assert api_get(pipeline, "/lists/news", OTHER_KEY)["name"] == "Theirs"
    assert api_get(pipeline, "/preferences/topics/digest", OTHER_KEY)["topic_name"] == "Theirs"
    subscribed = api_get(pipeline, "/lists/news/subscriptions", OTHER_KEY)["items"]
    assert [s["recipientId"] for s in subscribed] == ["ada"]


def test_hostile_text_posted_is_shown_as_text() -> None:
    pipeline = seeded()
    browser = signed_in(pipeline)
    hostile = HOSTILE[:200]
    posts = [
        ("/console/brands/acme", {"name": hostile, "primary": "", "secondary": "", "logo": ""}),
        ("/console/brands/acme", {"name": "A", "primary": hostile, "secondary": "", "logo": ""}),
        ("/console/brands", {"id": hostile, "name": hostile}),
        ("/console/lists", {"list_id": hostile, "name": hostile}),
        ("/console/lists/news", {"name": hostile}),
        ("/console/lists/news/subscribers", {"user_id": hostile}),
        (
            "/console/topics",
            {
                "topic_id": hostile,
                "topic_name": hostile,
                "default_status": "OPTED_IN",
                "section": "",
            },
        ),
        ("/console/topics/digest", {"topic_name": hostile, "default_status": "OPTED_IN"}),
    ]
    shown = []
    for path, form in posts:
        answer = browser.post(path, {**form, "csrf": token(browser)})
        shown.append(text(answer) if answer.status == 400 else follow(browser, answer))
    for page in [
        *shown,
        text(browser.get("/console/brands")),
        text(browser.get("/console/topics")),
    ]:
        assert "<script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page
