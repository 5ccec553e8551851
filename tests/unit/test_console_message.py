"""The console's message page beyond its timeline: provider attempts with their timings,
the message's customer webhook deliveries (and replaying one), its trace as a waterfall."""

from __future__ import annotations

import re

from herald.observability.spanfile import MAX_TRACE_SPANS, SpanRecord
from herald.pipeline.customer_webhooks.sender import PostOutcome
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_console import (
    HOSTILE,
    KEY,
    OTHER_KEY,
    form_token,
    make_pipeline,
    sent_message,
    signed_in,
    text,
)

ENDPOINT = {"url": "https://hooks.example.com/herald", "description": "ops"}


def register_endpoint(pipeline: Pipeline, key: str = KEY) -> str:
    answer = call(pipeline.api, "POST", "/webhooks/endpoints", ENDPOINT, key=key)
    assert answer.status == 201, answer.body
    endpoint_id: str = answer.body["id"]
    return endpoint_id


def trace_of(pipeline: Pipeline, message_id: str) -> str:
    """The message's trace id, as the api's span would have given it at send."""
    trace_id = "ab" * 16
    pipeline.messages.messages[("ws1", message_id)].traceparent = f"00-{trace_id}-{'cd' * 8}-01"
    assert pipeline.reader.trace_id("ws1", message_id) == trace_id
    return trace_id


def span(
    trace_id: str,
    span_id: str,
    parent: str | None,
    name: str,
    start: int,
    end: int,
    status: str = "UNSET",
    service: str = "herald-render",
) -> SpanRecord:
    ms = 1_000_000
    return SpanRecord(
        trace_id, span_id, parent, name, "INTERNAL", service, start * ms, end * ms, status
    )


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{element_id}".*?</table>', page, re.S)
    assert found, element_id
    return found[0]


def test_the_page_lists_each_provider_attempt_with_its_tries_and_timing() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    attempts = section(page, "attempts")
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", attempts, re.S)
    assert len(rows) == 1
    cells = re.findall(r"<td>(.*?)</td>", "<td>" + rows[0])
    assert cells[:4] == ["email", "fake-smtp", "DONE", "1"]
    assert re.fullmatch(r"\d+ ms", cells[5]), cells[5]  # from its first try to its answer
    assert cells[6].startswith("SENT")


def test_an_unsent_message_has_no_attempt() -> None:
    pipeline = make_pipeline()
    send = {"message": {"to": {"email": "a@b.co"}, "content": {"title": "t", "body": "b"}}}
    message_id = call(pipeline.api, "POST", "/send", send, key=KEY).body["requestId"]
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    assert "No provider has been tried." in page and 'id="attempts"' not in page


def test_the_messages_webhook_deliveries_are_listed_with_their_answers() -> None:
    pipeline = make_pipeline()
    endpoint_id = register_endpoint(pipeline)
    pipeline.customer_endpoints.answers = [PostOutcome(500, "HTTP 500")] + [PostOutcome(200)] * 20
    message_id = sent_message(pipeline)
    other = sent_message(pipeline)
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    deliveries = section(page, "webhook-deliveries")
    assert endpoint_id in deliveries and "HTTP 500" in deliveries and "HTTP 200" in deliveries
    assert deliveries.count('action="/console/messages/') >= 1
    # Only this message's: the other message's deliveries are not here.
    other_page = text(signed_in(pipeline).get(f"/console/messages/{other}"))
    mine = set(re.findall(r'name="delivery" value="([^"]+)"', page))
    theirs = set(re.findall(r'name="delivery" value="([^"]+)"', other_page))
    assert mine and theirs and not mine & theirs


def test_replaying_a_delivery_needs_the_token_and_posts_it_again() -> None:
    pipeline = make_pipeline()
    endpoint_id = register_endpoint(pipeline)
    message_id = sent_message(pipeline)
    browser = signed_in(pipeline)
    page = text(browser.get(f"/console/messages/{message_id}"))
    delivery_id = re.findall(r'name="delivery" value="([^"]+)"', page)[0]
    form = {"endpoint": endpoint_id, "delivery": delivery_id}
    posts = len(pipeline.customer_endpoints.posts)
    path = f"/console/messages/{message_id}/webhook-replay"
    for token in ("", "forged"):
        assert browser.post(path, {**form, "csrf": token}).status == 403
    assert len(pipeline.customer_endpoints.posts) == posts
    done = browser.post(path, {**form, "csrf": form_token(page)})
    assert done.headers["location"] == f"/console/messages/{message_id}?notice=replayed"
    assert len(pipeline.customer_endpoints.posts) == posts + 1
    assert "[replay]" in text(browser.get(f"/console/messages/{message_id}"))


def test_a_delivery_of_another_message_or_workspace_is_not_replayed() -> None:
    pipeline = make_pipeline()
    mine = register_endpoint(pipeline)
    theirs = register_endpoint(pipeline, OTHER_KEY)
    message_id = sent_message(pipeline)
    other_message = sent_message(pipeline)
    their_message = sent_message(pipeline, key=OTHER_KEY)
    browser = signed_in(pipeline)
    token = form_token(text(browser.get(f"/console/messages/{message_id}")))
    other_page = text(browser.get(f"/console/messages/{other_message}"))
    other_delivery = re.findall(r'name="delivery" value="([^"]+)"', other_page)[0]
    their_page = text(signed_in(pipeline, OTHER_KEY).get(f"/console/messages/{their_message}"))
    their_delivery = re.findall(r'name="delivery" value="([^"]+)"', their_page)[0]
    posts = len(pipeline.customer_endpoints.posts)
    for path, endpoint, delivery in (
        (f"/console/messages/{message_id}/webhook-replay", mine, other_delivery),
        (f"/console/messages/{message_id}/webhook-replay", theirs, their_delivery),
        (f"/console/messages/{their_message}/webhook-replay", theirs, their_delivery),
    ):
        answer = browser.post(path, {"csrf": token, "endpoint": endpoint, "delivery": delivery})
        assert answer.status == 404, path
    assert len(pipeline.customer_endpoints.posts) == posts


def test_the_trace_is_drawn_as_a_waterfall_from_the_trace_store() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    trace_id = trace_of(pipeline, message_id)
    traces = pipeline.adapters.traces
    assert traces is not None
    traces.spans += [
        span(trace_id, "a" * 16, None, "POST /send", 0, 100, service="herald-api"),
        span(trace_id, "b" * 16, "a" * 16, "render", 50, 75),
        span(trace_id, "c" * 16, "b" * 16, HOSTILE, 60, 70, status="ERROR"),
        span("f" * 32, "d" * 16, None, "another trace", 0, 10),
    ]
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    waterfall = section(page, "waterfall")
    row = r'<tr[^>]*>\s*<td style="padding-left:([\d.]+)em">(.*?)</td>'
    rows = re.findall(row, waterfall, re.S)
    assert [float(indent) for indent, _ in rows] == [0.5, 1.6, 2.7]  # the tree's depth
    assert rows[0][1] == "POST /send" and "another trace" not in waterfall
    bars = re.findall(r"margin-left:([\d.]+)%;width:([\d.]+)%", waterfall)
    assert bars == [("0.0", "100.0"), ("50.0", "25.0"), ("60.0", "10.0")]
    assert 'class="span-error"' in waterfall and "&lt;script&gt;" in waterfall
    assert "<script>" not in page
    assert "100.0 ms" in waterfall


def test_a_long_trace_is_drawn_to_its_bound_and_says_so() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    trace_id = trace_of(pipeline, message_id)
    traces = pipeline.adapters.traces
    assert traces is not None
    traces.spans += [
        span(trace_id, f"{i:016x}", None, f"s{i}", i, i + 1) for i in range(MAX_TRACE_SPANS + 5)
    ]
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    waterfall = section(page, "waterfall")
    assert waterfall.count("<tr") == MAX_TRACE_SPANS + 1  # and the head's
    assert "the trace has more" in waterfall


def test_in_production_the_trace_and_its_logs_are_links_to_google_cloud() -> None:
    pipeline = make_pipeline()
    pipeline.adapters.traces = None  # Cloud Trace keeps the spans
    message_id = sent_message(pipeline)
    trace_id = trace_of(pipeline, message_id)
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    project = pipeline.settings.project
    assert (
        f"https://console.cloud.google.com/traces/list?project={project}&amp;tid={trace_id}" in page
    )
    assert f"trace%3D%22projects%2F{project}%2Ftraces%2F{trace_id}%22" in page
    assert 'id="waterfall"' not in page


def test_an_endpoints_hostile_answer_is_shown_as_text() -> None:
    pipeline = make_pipeline()
    register_endpoint(pipeline)
    pipeline.customer_endpoints.answers = [PostOutcome(500, HOSTILE)] * 5
    message_id = sent_message(pipeline)
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    deliveries = section(page, "webhook-deliveries")
    assert "&lt;script&gt;" in deliveries and "<script>" not in page and "<img src=x" not in page


def test_a_resend_needs_the_token_and_is_a_new_message_recorded_as_the_originals_resend() -> None:
    pipeline = make_pipeline()
    original = sent_message(pipeline)
    browser = signed_in(pipeline)
    page = text(browser.get(f"/console/messages/{original}"))
    assert f'action="/console/messages/{original}/resend"' in page
    assert "Resend of" not in page
    path = f"/console/messages/{original}/resend"
    foreign_token = form_token(text(signed_in(pipeline).get("/console/messages")))
    for token in ("", "forged", foreign_token):
        assert browser.post(path, {"csrf": token}).status == 403
    assert len(pipeline.messages.messages) == 1

    done = browser.post(path, {"csrf": form_token(page)})
    assert done.status == 303
    resent = done.headers["location"].removeprefix("/console/messages/").split("?")[0]
    assert done.headers["location"] == f"/console/messages/{resent}?notice=resent"
    assert resent != original
    pipeline.drain()
    view = call(pipeline.api, "GET", f"/messages/{resent}", key=KEY).body
    assert (view["status"], view["recipient"], view["resentFrom"]) == (
        "SENT",
        "ada@example.com",
        original,
    )
    assert call(pipeline.api, "GET", f"/messages/{original}", key=KEY).body["resentFrom"] is None
    new_page = text(browser.get(f"/console/messages/{resent}", notice="resent"))
    assert "This is a resend" in new_page
    assert f'<dt>Resend of</dt><dd><a href="/console/messages/{original}">' in new_page


def test_another_workspaces_message_or_a_list_sends_record_is_not_resent() -> None:
    pipeline = make_pipeline()
    theirs = sent_message(pipeline, key=OTHER_KEY)
    call(pipeline.api, "PUT", "/lists/news", {"name": "News"}, key=KEY)
    to_list = {"message": {"to": {"list_id": "news"}, "content": {"title": "t", "body": "b"}}}
    fanout = call(pipeline.api, "POST", "/send", to_list, key=KEY).body["requestId"]
    browser = signed_in(pipeline)
    token = form_token(text(browser.get("/console/messages")))
    before = len(pipeline.messages.messages)
    assert browser.post(f"/console/messages/{theirs}/resend", {"csrf": token}).status == 404
    refused = browser.post(f"/console/messages/{fanout}/resend", {"csrf": token})
    assert refused.status == 400
    assert "message_id: " in text(refused) and "list send" in text(refused)
    assert len(pipeline.messages.messages) == before


def test_the_page_reads_the_message_once() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    browser = signed_in(pipeline)
    reads: list[str] = []
    read_message, read_history = pipeline.messages.get_message, pipeline.messages.history

    def counted_message(workspace: str, wanted: str) -> object:
        reads.append(f"message {wanted}")
        return read_message(workspace, wanted)

    def counted_history(workspace: str, wanted: str) -> object:
        reads.append(f"history {wanted}")
        return read_history(workspace, wanted)

    pipeline.messages.get_message = counted_message  # type: ignore[method-assign,assignment]
    pipeline.messages.history = counted_history  # type: ignore[method-assign,assignment]
    assert browser.get(f"/console/messages/{message_id}").status == 200
    assert reads == [f"message {message_id}", f"history {message_id}"]
