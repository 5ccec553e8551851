"""The console's message list: its time filters, and its JSON twin that the list's one
script polls to follow new messages while the page is open."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from herald.api.routes import console as console_routes
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_console import (
    HOSTILE,
    KEY,
    OTHER_KEY,
    Browser,
    make_pipeline,
    sent_message,
    signed_in,
    text,
)

AT = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def enqueued_at(pipeline: Pipeline, message_id: str, at: datetime.datetime) -> None:
    key = ("ws1", message_id)
    summary = pipeline.summaries.summaries[key]
    pipeline.summaries.summaries[key] = summary.model_copy(
        update={"enqueued_ms": int(at.timestamp() * 1000)}
    )


def listed(page: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', page)


def test_from_and_to_keep_the_messages_enqueued_between_them_both_included() -> None:
    pipeline = make_pipeline()
    ids = [sent_message(pipeline) for _ in range(4)]
    for minutes, message_id in zip((0, 10, 20, 30), ids, strict=True):
        enqueued_at(pipeline, message_id, AT + datetime.timedelta(minutes=minutes))
    browser = signed_in(pipeline)
    page = text(
        browser.get("/console/messages", **{"from": "2026-03-01T12:10", "to": "2026-03-01T12:20"})
    )
    assert listed(page) == [ids[2], ids[1]]
    assert 'value="2026-03-01T12:10"' in page  # the form keeps what was asked
    assert listed(
        text(browser.get("/console/messages", **{"from": "2026-03-01T12:10:00.001"}))
    ) == [
        ids[3],
        ids[2],
    ]
    assert listed(text(browser.get("/console/messages", to="2026-03-01T12:00:00"))) == [ids[0]]
    # With a zone, it is that instant.
    assert listed(text(browser.get("/console/messages", to="2026-03-01T13:00+01:00"))) == [ids[0]]


def test_a_bad_time_or_a_range_backwards_is_named() -> None:
    browser = signed_in(make_pipeline())
    for query, named in (
        ({"from": "yesterday"}, "from: must be a date and time"),
        ({"to": HOSTILE}, "to: must be a date and time"),
        ({"to": "2026-03-01T12:00" + "0" * 40}, "to: must be a date and time"),
        ({"from": "2026-03-01T12:10", "to": "2026-03-01T12:00"}, "to: must not be before from"),
    ):
        answer = browser.get("/console/messages", **query)
        assert answer.status == 400 and named in text(answer), query
        assert "<script>alert" not in text(answer)


def test_the_json_twin_lists_the_newest_page_with_the_same_filters() -> None:
    pipeline = make_pipeline()
    billing = sent_message(pipeline)
    other = sent_message(
        pipeline,
        send={
            "message": {"to": {"email": "b@example.com"}, "content": {"title": "t", "body": "b"}}
        },
    )
    sent_message(pipeline, key=OTHER_KEY)
    browser = signed_in(pipeline)
    answer = browser.get("/console/live/messages", tag="billing")
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    assert answer.raw is not None
    body = json.loads(answer.raw)
    assert [row["id"] for row in body["results"]] == [billing]
    assert body["results"][0]["status"] == "SENT" and body["results"][0]["enqueued"].endswith("UTC")
    every = json.loads(browser.get("/console/live/messages", cursor="ignored").raw or b"")
    assert [row["id"] for row in every["results"]] == [other, billing]  # not another workspace's
    bad = browser.get("/console/live/messages", status="BOGUS")
    assert bad.status == 400 and json.loads(bad.raw or b"")["error"].startswith("status:")


def test_the_json_twin_needs_a_session() -> None:
    answer = Browser(make_pipeline().api).get("/console/live/messages")
    assert answer.status == 303 and answer.headers["location"] == "/console/sign-in"


def test_the_newest_page_loads_the_script_with_its_filters_an_older_page_does_not() -> None:
    pipeline = make_pipeline()
    for _ in range(console_routes.PAGE_SIZE + 1):
        sent_message(pipeline)
    browser = signed_in(pipeline)
    page = text(browser.get("/console/messages", tag="billing"))
    assert '<script src="/console/static/live.js" defer></script>' in page
    assert 'data-live="/console/live/messages?tag=billing"' in page
    assert re.findall(r"<script", page) == ["<script"]  # no inline script
    older = re.search(r'href="(/console/messages\?[^"]*cursor=[^"]*)"', page)
    assert older
    cursor = re.search(r"cursor=([^&\"]+)", older[1])
    assert cursor
    page_two = text(browser.get("/console/messages", tag="billing", cursor=cursor[1]))
    assert "live.js" not in page_two and "data-live" not in page_two


def test_an_empty_list_is_still_followed() -> None:
    page = text(signed_in(make_pipeline(), KEY).get("/console/messages"))
    assert '<p id="no-messages">No message matches.</p>' in page
    assert "data-live=" in page and "<table data-live" in page and " hidden>" in page


def test_the_scripts_write_text_never_markup() -> None:
    static = Path(console_routes.__file__).parents[2] / "console" / "static"
    assert sorted(p.name for p in static.iterdir()) == sorted(console_routes.SCRIPTS)
    for name in console_routes.SCRIPTS:
        source = (static / name).read_text()
        assert "textContent" in source
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)
        served = Browser(make_pipeline().api).get(f"/console/static/{name}")
        assert served.raw == source.encode()
    # The email's HTML goes only into a frame sandboxed with no permission.
    template_js = (static / "template.js").read_text()
    assert template_js.count("srcdoc") == 1 and 'sandbox: ""' in template_js
    assert Browser(make_pipeline().api).get("/console/static/../pages.py").status == 404


def test_the_tenant_filter_lists_the_tenants_messages_in_the_page_and_its_twin() -> None:
    pipeline = make_pipeline()
    assert call(pipeline.api, "PUT", "/tenants/acme", {"name": "Acme"}, key=KEY).status == 200
    plain = sent_message(pipeline)
    tenants = sent_message(
        pipeline,
        send={
            "message": {
                "to": {"email": "ada@example.com"},
                "content": {"title": "T", "body": "B"},
                "context": {"tenant_id": "acme"},
            }
        },
    )
    browser = signed_in(pipeline)
    page = text(browser.get("/console/messages", tenant_id="acme"))
    assert listed(page) == [tenants]
    assert '<input id="tenant_id" name="tenant_id" value="acme"' in page
    assert "tenant_id=acme" in page  # the live twin follows the same filter
    twin = json.loads(browser.get("/console/live/messages", tenant_id="acme").raw or b"")
    assert [row["id"] for row in twin["results"]] == [tenants]
    assert set(listed(text(browser.get("/console/messages", tenant_id="")))) == {plain, tenants}
    assert listed(text(browser.get("/console/messages", tenant_id="other"))) == []
