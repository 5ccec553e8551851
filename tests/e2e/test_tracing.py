"""One send is one trace: every function's spans, correctly parented, nothing orphaned."""

from __future__ import annotations

import uuid

import pytest

from herald.events.registry import spec_for, subscription_filter
from herald.observability.spanfile import SpanRecord, read_spans
from herald_tools.cli import main
from herald_tools.cost import DELIVERED_EMAIL, published_per_email
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

FUNCTIONS = {"herald-api", "herald-relay", "herald-render", "herald-deliver"}


def message_trace(stack: Stack, message_id: str) -> list[SpanRecord]:
    spans = read_spans(stack.trace_dir)
    trace_ids = {s.trace_id for s in spans if s.attributes.get("herald.message_id") == message_id}
    assert len(trace_ids) <= 1, trace_ids
    return [s for s in spans if s.trace_id in trace_ids]


# A sent message's events; every consumer of each one adds a "<topic> process" span (but
# those whose subscriptions filter it out: webhooks, for a workspace without endpoints).
SENT_PATH = DELIVERED_EMAIL
# The relay's trigger fires for each event something consumes (message.routed is kept
# apart, as history only).
RELAYED = published_per_email()


def complete(stack: Stack, message_id: str) -> list[SpanRecord] | None:
    """The whole trace of a sent message: every event relayed, every consumer has processed
    it, and every span's parent written (a span is written when it ends, after its
    children, so a trace read mid-way has children whose parents are not there yet)."""
    spans = message_trace(stack, message_id)
    names = [s.name for s in spans]
    processed = all(
        names.count(f"{spec_for(event).topic} process")
        >= len([c for c in spec_for(event).consumers if subscription_filter(c) is None])
        for event in SENT_PATH
    )
    relayed = names.count("outbox relay") >= RELAYED
    ids = {s.span_id for s in spans}
    closed = len([s for s in spans if s.parent_span_id not in ids]) == 1
    done = processed and relayed and closed and "smtp send" in names
    return spans if done and {s.service for s in spans} >= FUNCTIONS else None


def test_one_send_is_one_trace_through_every_function(api: Client, stack: Stack) -> None:
    caller_trace = uuid.uuid4().hex
    status, body = api.request(
        "POST",
        "/send",
        {"message": {"to": {"email": "traced@example.com"}, "content": {"body": "x"}}},
        headers={"traceparent": f"00-{caller_trace}-{'1' * 16}-01"},
    )
    assert status == 202
    request_id = body["requestId"]
    spans = eventually(lambda: complete(stack, request_id), what="the whole trace")

    assert {s.trace_id for s in spans} == {caller_trace}  # the caller's trace, continued
    ids = {s.span_id for s in spans}
    roots = [s for s in spans if s.parent_span_id not in ids]
    assert [(r.name, r.parent_span_id) for r in roots] == [("POST /send", "1" * 16)]
    by_id = {s.span_id: s for s in spans}

    def parent_service(span: SpanRecord) -> str:
        return by_id[span.parent_span_id].service if span.parent_span_id in by_id else ""

    [render] = [
        s
        for s in spans
        if s.name == "herald-message-enqueued process" and s.service == "herald-render"
    ]
    assert render.kind == "CONSUMER" and parent_service(render) == "herald-relay"
    [smtp] = [s for s in spans if s.name == "smtp send"]
    assert smtp.kind == "CLIENT" and by_id[smtp.parent_span_id or ""].kind == "CONSUMER"
    relays = [s for s in spans if s.name == "outbox relay"]
    assert len(relays) == RELAYED == 3  # enqueued, rendered, sent
    assert all(
        parent_service(r) in {"herald-api", "herald-render", "herald-deliver"} for r in relays
    )
    assert any(s.attributes.get("db.system.name") == "gcp.firestore" for s in spans)


def test_each_message_of_a_list_send_has_its_own_trace_linked_to_the_request(
    api: Client, stack: Stack
) -> None:
    request_id = api.send(
        {"to": [{"email": "l1@example.com"}, {"email": "l2@example.com"}], "content": {"body": "x"}}
    )
    message_ids = [m["id"] for m in api.get(f"/requests/{request_id}")["messages"]]
    traces = [eventually(lambda m=m: complete(stack, m), what=m) for m in message_ids]  # type: ignore[misc]
    request_span = next(
        s
        for s in read_spans(stack.trace_dir)
        if s.attributes.get("herald.request_id") == request_id and s.name == "POST /send"
    )
    assert len({t[0].trace_id for t in traces} | {request_span.trace_id}) == 3
    for spans in traces:
        [root] = [s for s in spans if s.parent_span_id is None]
        assert root.name == "herald message"
        assert [link.span_id for link in root.links] == [request_span.span_id]


def test_herald_trace_draws_the_waterfall_and_writes_a_page(
    api: Client, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    request_id = api.send({"to": {"email": "drawn@example.com"}, "content": {"body": "x"}})
    spans = eventually(lambda: complete(stack, request_id), what="the whole trace")

    api.get(f"/messages/{request_id}")  # reading it back adds no trace of its own to draw
    assert main(["trace", request_id, "--trace-dir", str(stack.trace_dir)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("written: ") == 1
    assert spans[0].trace_id in printed
    assert printed.index("POST /send") < printed.index("smtp send")
    page = stack.trace_dir / f"trace-{spans[0].trace_id}.html"
    assert page.read_text().count('class="span') == len(spans)

    assert main(["trace", "no-such-message", "--trace-dir", str(stack.trace_dir)]) == 1
