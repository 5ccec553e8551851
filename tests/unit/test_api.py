"""The HTTP layer over in-memory services: status codes, error shapes, auth."""

import json
from typing import Any

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.config import Settings
from herald.ids import hash_api_key
from tests.unit.fakes import Pipeline, settings_with

KEY = "hk_test_key"


def make_api(settings: Settings | None = None) -> tuple[Api, Pipeline]:
    pipeline = Pipeline(settings or settings_with())
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    pipeline.keys.put(hash_api_key("other-key"), "ws2")
    return pipeline.api, pipeline


def call(
    api: Api, method: str, path: str, body: Any = None, key: str | None = KEY, **query: str
) -> HttpResponse:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    raw = (
        body
        if isinstance(body, bytes)
        else (json.dumps(body).encode() if body is not None else b"")
    )
    return api.handle(HttpRequest(method, path, headers, raw, query))


SEND = {"message": {"to": {"email": "ada@example.com"}, "content": {"title": "T", "body": "B"}}}


def test_send_answers_202_with_a_request_id_and_the_message_reads_back() -> None:
    api, pipeline = make_api()
    response = call(api, "POST", "/send", SEND)
    assert response.status == 202
    request_id = response.body["requestId"]
    pipeline.drain()
    message = call(api, "GET", f"/messages/{request_id}")
    assert (message.status, message.body["status"]) == (200, "SENT")
    history = call(api, "GET", f"/messages/{request_id}/history")
    assert [h["type"] for h in history.body["results"]] == [
        "ENQUEUED",
        "ROUTED",
        "RENDERED",
        "SENT",
    ]


def test_missing_or_wrong_keys_get_401() -> None:
    api, _ = make_api()
    for key in (None, "wrong"):
        response = call(api, "POST", "/send", SEND, key=key)
        assert response.status == 401
        assert response.body["type"] == "authentication_error"
    response = api.handle(HttpRequest("POST", "/send", {"Authorization": "Basic abc"}, b"{}"))
    assert response.status == 401


def test_bad_input_gets_400_with_the_field_and_reason() -> None:
    api, _ = make_api()
    cases = {
        b"not json": "body",
        b"": "body",
        json.dumps({"message": {"content": {"body": "x"}}}).encode(): "message.to",
        json.dumps({"message": {"to": {"email": "x"}, "content": {"body": "x"}}}).encode(): (
            "message.to.email"
        ),
        json.dumps({"message": {"to": {"email": "a@b.co"}, "content": {}}}).encode(): (
            "message.content.body"
        ),
    }
    for body, field in cases.items():
        response = call(api, "POST", "/send", body)
        assert response.status == 400, body
        assert response.body["type"] == "invalid_request_error"
        assert [e["field"] for e in response.body["errors"]] == [field], body
        assert all(e["reason"] for e in response.body["errors"])


def test_another_workspaces_message_is_404() -> None:
    api, _ = make_api()
    request_id = call(api, "POST", "/send", SEND).body["requestId"]
    assert call(api, "GET", f"/messages/{request_id}", key="other-key").status == 404
    assert call(api, "GET", f"/messages/{request_id}/history", key="other-key").status == 404
    assert call(api, "GET", f"/requests/{request_id}", key="other-key").status == 404


def test_unknown_routes_and_methods() -> None:
    api, _ = make_api()
    assert call(api, "GET", "/nope").status == 404
    assert call(api, "DELETE", "/send").status == 405


def test_list_limit_is_validated() -> None:
    api, _ = make_api()
    response = call(api, "GET", "/messages", limit="1000")
    assert response.status == 400
    assert response.body["errors"][0]["field"] == "limit"


def test_oversized_bodies_and_renders_are_refused() -> None:
    api, _ = make_api()
    huge = {"message": {**SEND["message"], "data": {"x": "a" * 300_000}}}
    response = call(api, "POST", "/send", huge)
    assert (response.status, response.body["errors"][0]["field"]) == (413, "body")
    assert "256 KiB" in response.body["errors"][0]["reason"]
    explosive = {
        "message": {
            "to": {"email": "a@example.com"},
            "content": {"body": "{{x}}" * 5000},
            "data": {"x": "a" * 1000},
        }
    }
    response = call(api, "POST", "/send", explosive)
    assert response.status == 400
    assert response.body["errors"][0]["field"] == "message.content"


def test_ids_that_herald_never_issues_are_404_and_filters_are_checked() -> None:
    api, _ = make_api()
    assert call(api, "GET", "/messages/__reserved__").status == 404
    assert call(api, "GET", "/messages/" + "a" * 200).status == 404
    response = call(api, "GET", "/messages", status="LOST")
    assert (response.status, response.body["errors"][0]["field"]) == (400, "status")


def test_courier_metadata_trace_id_is_stored_and_searchable() -> None:
    api, pipeline = make_api()
    body = {"message": {**SEND["message"], "metadata": {"trace_id": "order-42"}}}
    request_id = call(api, "POST", "/send", body).body["requestId"]
    pipeline.drain()
    assert call(api, "GET", f"/messages/{request_id}").body["traceId"] == "order-42"
    found = call(api, "GET", "/messages", traceId="order-42").body["results"]
    assert [m["id"] for m in found] == [request_id]
    assert call(api, "GET", "/messages", traceId="other").body["results"] == []
