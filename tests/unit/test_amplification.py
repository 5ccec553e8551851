"""What one request, or one event, may cost (OWASP API4): webhook endpoints per workspace,
a list named again in one request, and the messages one request may make."""

from __future__ import annotations

import json
from typing import Any

import pytest

from herald.api.http import Api
from herald.config import DEFAULT_MAX_MESSAGES_PER_REQUEST, DEFAULT_MAX_WEBHOOK_ENDPOINTS
from herald.resources.webhook_endpoints import ENDPOINTS, Endpoint, EndpointService
from herald.store.documents import DocPath, Document, InMemoryDocuments
from tests.unit.fakes import Pipeline, settings_with
from tests.unit.test_api import SEND, call, make_api

ENDPOINT = {"url": "https://example.com/herald"}


def test_the_defaults() -> None:
    assert DEFAULT_MAX_WEBHOOK_ENDPOINTS == 20
    assert DEFAULT_MAX_MESSAGES_PER_REQUEST == 10_000


def test_a_workspace_registers_endpoints_up_to_the_cap_and_then_gets_a_400() -> None:
    api, pipeline = make_api()
    for _ in range(DEFAULT_MAX_WEBHOOK_ENDPOINTS):
        assert call(api, "POST", "/webhooks/endpoints", ENDPOINT).status == 201
    refused = call(api, "POST", "/webhooks/endpoints", ENDPOINT)
    assert refused.status == 400
    assert "20 webhook endpoints, the most it may have" in refused.body["message"]
    assert pipeline.documents.count("ws1", (ENDPOINTS,), 100) == DEFAULT_MAX_WEBHOOK_ENDPOINTS
    # Another workspace has its own.
    assert call(api, "POST", "/webhooks/endpoints", ENDPOINT, key="other-key").status == 201
    # Removing one makes room for one.
    first = call(api, "GET", "/webhooks/endpoints").body["results"][0]["id"]
    assert call(api, "DELETE", f"/webhooks/endpoints/{first}").status == 204
    assert call(api, "POST", "/webhooks/endpoints", ENDPOINT).status == 201


class RacingDocuments(InMemoryDocuments):
    """Another registration lands between this one's count and its write."""

    def put(self, workspace: str, path: DocPath, document: Document) -> None:
        if path[0] == ENDPOINTS and not path[1].startswith("racer"):
            super().put(workspace, (ENDPOINTS, f"racer-{path[1]}"), {**document, "id": "racer"})
        super().put(workspace, path, document)


def test_a_registration_racing_past_the_count_takes_itself_back() -> None:
    documents = RacingDocuments()
    service = EndpointService(documents, max_endpoints=3)
    service.register("ws", ENDPOINT)  # 1 (and a racer: 2)
    taken_back = 0
    for _ in range(3):
        try:
            service.register("ws", ENDPOINT)
        except Exception:
            taken_back += 1
    assert documents.count("ws", (ENDPOINTS,), 100) <= 3
    assert taken_back >= 2


def test_300_stored_endpoints_cost_one_event_at_most_the_cap_in_posts() -> None:
    pipeline = Pipeline()
    # Stored around the API (or before the cap): the observer still posts to the cap only.
    for n in range(300):
        endpoint = Endpoint(
            id=f"e{n:03}",
            url="https://example.com/h",
            events=["message:updated"],
            secret="whsec_" + "a" * 32,
            created_ms=0,
            updated_ms=0,
        )
        pipeline.documents.put("ws1", (ENDPOINTS, endpoint.id), endpoint.model_dump())
    pipeline.sending.send("ws1", SEND)
    pipeline.drain()
    posts = pipeline.customer_endpoints.posts
    events = len({json.loads(p.body)["data"]["status"] for p in posts})
    assert events == 2  # enqueued and sent: before the cap, 600 posts
    assert len(posts) == events * DEFAULT_MAX_WEBHOOK_ENDPOINTS


def subscribe(pipeline: Pipeline, list_id: str, users: list[str]) -> None:
    pipeline.documents.put("ws1", ("lists", list_id), {"name": list_id, "deleted": False})
    for user in users:
        pipeline.documents.put("ws1", ("lists", list_id, "subscriptions", user), {})


def list_send(*recipients: dict[str, Any]) -> dict[str, Any]:
    return {"message": {"to": list(recipients), "content": {"title": "T", "body": "B {{n}}"}}}


def test_the_same_list_named_100_times_with_other_data_is_a_400_not_5000_emails() -> None:
    api, pipeline = make_api()
    subscribe(pipeline, "news", [f"u{n}" for n in range(50)])
    body = list_send(*({"list_id": "news", "data": {"n": n}} for n in range(100)))
    assert len(json.dumps(body, separators=(",", ":"))) < 4000  # a 3.9 KB request
    response = call(api, "POST", "/send", body)
    assert response.status == 400
    assert response.body["errors"][0]["field"] == "message.to[1].list_id"
    assert "names list news again" in response.body["errors"][0]["reason"]
    assert pipeline.messages.messages == {}


def test_the_same_list_named_twice_alike_is_one_fan_out() -> None:
    api, pipeline = make_api()
    subscribe(pipeline, "news", ["ada", "bob"])
    response = call(api, "POST", "/send", list_send({"list_id": "news"}, {"list_id": "news"}))
    assert response.status == 202
    pipeline.drain()
    made = [m for m in pipeline.messages.messages.values() if m.fanout is None]
    assert sorted(m.recipient["user_id"] for m in made) == ["ada", "bob"]


def capped(cap: int) -> tuple[Api, Pipeline]:
    return make_api(settings_with(max_messages_per_request=cap))


def test_a_request_makes_at_most_the_cap_counting_its_lists_subscribers() -> None:
    api, pipeline = capped(100)
    subscribe(pipeline, "a", [f"a{n}" for n in range(60)])
    subscribe(pipeline, "b", [f"b{n}" for n in range(30)])
    direct = [{"email": f"u{n}@example.com"} for n in range(10)]
    at_cap = call(api, "POST", "/send", list_send({"list_id": "a"}, {"list_id": "b"}, *direct))
    assert at_cap.status == 202
    one_more = [*direct, {"email": "one-more@example.com"}]
    over = call(api, "POST", "/send", list_send({"list_id": "a"}, {"list_id": "b"}, *one_more))
    assert over.status == 400
    error = over.body["errors"][0]
    assert error["field"] == "message.to"
    assert "more than 100 messages" in error["reason"] and "list a: 60" in error["reason"]


def test_direct_recipients_count_and_a_deleted_list_does_not() -> None:
    api, pipeline = capped(5)
    six = [{"email": f"u{n}@example.com"} for n in range(6)]
    assert call(api, "POST", "/send", list_send(*six)).status == 400
    subscribe(pipeline, "gone", [f"g{n}" for n in range(50)])
    pipeline.documents.update("ws1", ("lists", "gone"), lambda c: {**(c or {}), "deleted": True})
    assert call(api, "POST", "/send", list_send({"list_id": "gone"})).status == 202


def test_lists_are_counted_no_further_than_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    api, pipeline = capped(100)
    for name in ("a", "b", "c"):
        subscribe(pipeline, name, [f"{name}{n}" for n in range(80)])
    counted: list[int] = []
    count = pipeline.documents.count

    def counting(workspace: str, collection: DocPath, limit: int) -> int:
        counted.append(limit)
        return count(workspace, collection, limit)

    monkeypatch.setattr(pipeline.documents, "count", counting)
    response = call(
        api, "POST", "/send", list_send({"list_id": "a"}, {"list_id": "b"}, {"list_id": "c"})
    )
    assert response.status == 400
    assert counted == [101, 21]  # the third list is not counted at all
