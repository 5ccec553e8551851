"""The messages API: the list's filters and pages, output, history types and cancel."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import pytest

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.domain.status import MessageStatus
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.ids import hash_api_key
from herald.store.base import Attempt, MessageSummary
from herald.store.summary_fold import fold
from tests.unit.fakes import Pipeline

KEY, OTHER_KEY = "hk_messages", "hk_other"
SEND = {"message": {"to": {"email": "ada@example.com"}, "content": {"title": "Hi", "body": "B"}}}


def make_api() -> tuple[Api, Pipeline]:
    pipeline = Pipeline()
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    pipeline.keys.put(hash_api_key(OTHER_KEY), "ws2")
    return pipeline.api, pipeline


def call(
    api: Api, method: str, path: str, body: Any = None, key: str = KEY, **query: str | list[str]
) -> HttpResponse:
    lists: dict[str, Sequence[str]] = {k: v for k, v in query.items() if isinstance(v, list)}
    single = {k: (v[0] if isinstance(v, list) else v) for k, v in query.items()}
    return api.handle(
        HttpRequest(
            method,
            path,
            {"Authorization": f"Bearer {key}"},
            json.dumps(body).encode() if body is not None else b"",
            single,
            lists,
        )
    )


def put_summary(pipeline: Pipeline, mid: str, at: int, **fields: Any) -> None:
    summary = MessageSummary(
        id=mid,
        workspace="ws1",
        request_id=fields.pop("request_id", "r-" + mid),
        status=MessageStatus(fields.pop("status", "SENT")),
        recipient=fields.pop("recipient", "ada@example.com"),
        seq=1,
        last_event="message.sent",
        enqueued_ms=at,
        updated_ms=at,
        **fields,
    )
    pipeline.summaries.apply("ws1", mid, lambda _: summary)


def listed(response: HttpResponse) -> list[str]:
    assert response.status == 200, response.body
    return [m["id"] for m in response.body["results"]]


def test_the_list_filters_as_courier_does_newest_first() -> None:
    api, p = make_api()
    put_summary(p, "m1", 1_000, tags=["billing", "eu"], template="invoice")
    put_summary(p, "m2", 2_000, status="UNDELIVERABLE", tags=["eu"], trace_id="order-7")
    put_summary(p, "m3", 3_000, status="CANCELED", recipient="bob@example.com")
    put_summary(p, "m4", 4_000, status="ENQUEUED", template="invoice", request_id="req-9")
    assert listed(call(api, "GET", "/messages")) == ["m4", "m3", "m2", "m1"]
    assert listed(call(api, "GET", "/messages", status="SENT")) == ["m1"]
    assert listed(call(api, "GET", "/messages", status=["CANCELED", "ENQUEUED"])) == ["m4", "m3"]
    assert listed(call(api, "GET", "/messages", recipient="bob@example.com")) == ["m3"]
    assert listed(call(api, "GET", "/messages", tag="eu")) == ["m2", "m1"]
    assert listed(call(api, "GET", "/messages", tag=["billing", "nope"])) == ["m1"]
    assert listed(call(api, "GET", "/messages", tags="nope,eu")) == ["m2", "m1"]
    assert listed(call(api, "GET", "/messages", traceId="order-7")) == ["m2"]
    assert listed(call(api, "GET", "/messages", notification="invoice")) == ["m4", "m1"]
    assert listed(call(api, "GET", "/messages", requestId="req-9")) == ["m4"]
    both = call(api, "GET", "/messages", notification="invoice", status="SENT")
    assert listed(both) == ["m1"]
    assert listed(call(api, "GET", "/messages", enqueued_after="2000")) == ["m4", "m3"]
    iso = call(api, "GET", "/messages", enqueued_after="1970-01-01T00:00:02.500Z")
    assert listed(iso) == ["m4", "m3"]
    first = call(api, "GET", "/messages", limit="4").body
    assert first["paging"] == {"cursor": None, "more": False}
    assert first["results"][0]["notification"] == "invoice"
    assert first["results"][1]["status"] == "CANCELED"
    assert listed(call(api, "GET", "/messages", key=OTHER_KEY)) == []


def test_pages_follow_the_cursor_to_the_end_without_gap_or_repeat() -> None:
    api, p = make_api()
    for i in range(7):
        put_summary(p, f"m{i}", 1_000 * (i // 2))  # pairs enqueued in the same millisecond
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        body = call(api, "GET", "/messages", **query).body
        seen += [m["id"] for m in body["results"]]
        pages += 1
        if not body["paging"]["more"]:
            assert body["paging"]["cursor"] is None
            break
        cursor = body["paging"]["cursor"]
    assert pages == 3
    assert seen == ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["x", 1]').decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"[1]").decode()}, "cursor"),
        ({"status": ["SENT", "LOST"]}, "status"),
        ({"enqueued_after": "yesterday"}, "enqueued_after"),
        ({"enqueued_after": "2026-01-01T00:00:00"}, "enqueued_after"),  # no zone
        ({"limit": "0"}, "limit"),
        ({"tags": "a,,b"}, "tag"),
        ({"status": "SENT", "recipient": "a@b.co", "traceId": "t"}, "traceId"),
        ({"tag": [f"t{i}" for i in range(11)], "status": ["SENT", "DELIVERED", "ROUTED"]}, "tag"),
    ],
)
def test_bad_list_queries_are_400_naming_the_parameter(query: dict[str, Any], field: str) -> None:
    api, _ = make_api()
    response = call(api, "GET", "/messages", **query)
    assert response.status == 400, response.body
    assert response.body["errors"][0]["field"] == field


def test_the_log_keeps_tags_template_and_outcome_on_the_summary() -> None:
    enqueued = EventEnvelope(
        id="ws1:m1:1",
        type="message.enqueued",
        version=1,
        workspace="ws1",
        message_id="m1",
        request_id="m1",
        seq=1,
        occurred_ms=10,
        payload={"recipient": "a@example.com", "tags": ["eu"], "template": "invoice"},
    )
    undeliverable = enqueued.model_copy(
        update={
            "id": "ws1:m1:4",
            "type": "message.undeliverable",
            "seq": 4,
            "occurred_ms": 40,
            "payload": {"reason": "PROVIDER_ERROR", "error": "550"},
        }
    )
    summary = fold(fold(None, enqueued), undeliverable)
    assert summary is not None
    assert (summary.tags, summary.template, summary.enqueued_ms) == (["eu"], "invoice", 10)
    assert (summary.status, summary.reason, summary.error) == (
        "UNDELIVERABLE",
        "PROVIDER_ERROR",
        "550",
    )


def test_output_shows_what_was_rendered_per_channel() -> None:
    api, p = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    assert call(api, "GET", f"/messages/{message_id}/output").body == {"results": []}
    p.drain()
    [output] = call(api, "GET", f"/messages/{message_id}/output").body["results"]
    assert (output["channel"], output["channel_id"]) == ("email", "email")
    assert output["content"]["subject"] == "Hi"
    assert (output["content"]["text"], output["content"]["html"]) == ("B", "")
    assert call(api, "GET", f"/messages/{message_id}/output", key=OTHER_KEY).status == 404


def test_history_filters_on_courier_type() -> None:
    api, p = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    p.drain()
    sent = call(api, "GET", f"/messages/{message_id}/history", type="SENT").body["results"]
    assert [h["type"] for h in sent] == ["SENT"]
    response = call(api, "GET", f"/messages/{message_id}/history", type="BOUNCED")
    assert (response.status, response.body["errors"][0]["field"]) == (400, "type")


def test_a_message_canceled_before_routing_is_never_routed_nor_sent() -> None:
    api, p = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    response = call(api, "POST", f"/messages/{message_id}/cancel")
    assert (response.status, response.body["status"]) == (200, "CANCELED")
    assert response.body["canceled"] is not None
    p.drain()
    assert p.email.calls == 0
    assert call(api, "GET", f"/messages/{message_id}").body["status"] == "CANCELED"
    history = call(api, "GET", f"/messages/{message_id}/history").body
    assert [h["type"] for h in history["results"]] == ["ENQUEUED", "CANCELED"]
    assert history["results"][1]["data"] == {"status": "ENQUEUED", "fanout": False}
    assert [i["consumer"] for i in history["ignored"]] == ["render"]
    assert listed(call(api, "GET", "/messages", status="CANCELED")) == [message_id]
    again = call(api, "POST", f"/messages/{message_id}/cancel")
    assert (again.status, again.body["status"]) == (200, "CANCELED")  # a retry: the same answer
    assert len(p.messages.history("ws1", message_id)) == 2


def test_a_routed_message_canceled_before_delivery_is_not_sent() -> None:
    api, p = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    relay_next(p)  # render: ROUTED, with the rendered event waiting for deliver
    assert call(api, "POST", f"/messages/{message_id}/cancel").status == 200
    p.drain()
    assert p.email.calls == 0
    types = [h["type"] for h in call(api, "GET", f"/messages/{message_id}/history").body["results"]]
    assert types == ["ENQUEUED", "ROUTED", "RENDERED", "CANCELED"]


def test_a_cancel_landing_while_deliver_works_stops_it_before_the_provider() -> None:
    api, p = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    claim = p.attempts.claim

    def claim_then_cancel(*args: Any, **kwargs: Any) -> Attempt:
        # Deliver has read the message ROUTED; the cancel lands before the provider call.
        call(api, "POST", f"/messages/{message_id}/cancel")
        return claim(*args, **kwargs)

    p.attempts.claim = claim_then_cancel  # type: ignore[method-assign]
    p.drain()
    assert p.email.calls == 0
    assert call(api, "GET", f"/messages/{message_id}").body["status"] == "CANCELED"
    [attempt] = p.attempts.attempts.values()
    assert (attempt.tries, attempt.lease_owner) == (0, "")  # not a try; nothing left leased


def test_a_sent_message_cannot_be_canceled_and_is_left_unchanged() -> None:
    api, p = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    p.drain()
    before = call(api, "GET", f"/messages/{message_id}").body
    response = call(api, "POST", f"/messages/{message_id}/cancel")
    assert (response.status, response.body) == (409, before)
    assert len(p.messages.history("ws1", message_id)) == 4


def test_another_workspaces_message_cannot_be_canceled_nor_seen_404() -> None:
    api, _ = make_api()
    message_id = call(api, "POST", "/send", SEND).body["requestId"]
    response = call(api, "POST", f"/messages/{message_id}/cancel", key=OTHER_KEY)
    assert (response.status, response.body["type"]) == (404, "not_found")
    assert call(api, "GET", f"/messages/{message_id}/output", key=OTHER_KEY).status == 404
    assert call(api, "GET", f"/messages/{message_id}").body["status"] == "ENQUEUED"
    assert call(api, "POST", "/messages/nope/cancel").status == 404


def relay_next(pipeline: Pipeline) -> None:
    """Relays one outbox record to its consumers (drain relays all)."""
    event = pipeline.messages.outbox[pipeline.relayed]
    pipeline.relayed += 1
    for consumer in spec_for(event.type).consumers:
        pipeline.consumers[consumer](event)
