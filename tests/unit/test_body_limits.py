"""Every route has a body limit, checked before the body is read, the key looked up,
the idempotency record taken or anything parsed; and nothing is stored larger than
Firestore holds."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest

from herald.api.bodies import DEFAULT_MAX_BODY, read_body
from herald.api.http import HttpRequest, Route
from herald.api.idempotency import IdempotentPosts
from herald.api.routes import build_router
from herald.errors import PayloadTooLarge
from herald.idempotency.memory import InMemoryIdempotencyStore
from herald.store.sizes import (
    MAX_STORED_BYTES,
    STORED_BYTES_PER_JSON_BYTE,
    check_document_size,
    document_size,
    value_size,
)
from tests.unit.test_api import KEY, call, make_api

MIB = 1024 * 1024
TOKEN = "0123abcd." + "a" * 10 + "." + "b" * 22  # the shape of a link token


@dataclass
class RecordingStream:
    """A body of ``size`` bytes that counts how much of it was read."""

    size: int
    read_bytes: int = 0

    def read(self, size: int = -1, /) -> bytes:
        left = self.size - self.read_bytes
        take = left if size < 0 else min(size, left)
        self.read_bytes += take
        return b" " * take


def concrete(route: Route) -> str:
    """The route's path with an id in each parameter."""
    path = route.template
    for name in route.pattern.groupindex:
        path = path.replace("{" + name + "}", "abc" if name != "token" else TOKEN)
    return path


ROUTES = build_router().routes


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.template}" for r in ROUTES])
def test_every_route_takes_its_limit_and_refuses_one_byte_more_before_anything_else(
    route: Route,
) -> None:
    api, _ = make_api()
    path = concrete(route)
    assert api.router.body_limit(route.method, path) == route.body_limit
    at_limit = api.handle(HttpRequest(route.method, path, {}, b" " * route.body_limit))
    assert at_limit.status != 413
    # No key: the 413 comes before the 401, so a refused body costs no key lookup.
    over = api.handle(HttpRequest(route.method, path, {}, b" " * (route.body_limit + 1)))
    assert (over.status, over.body["errors"][0]["field"]) == (413, "body")
    assert f"{route.body_limit // 1024} KiB" in over.body["errors"][0]["reason"]


def test_the_routes_that_take_more_than_the_default_are_the_ones_that_need_it() -> None:
    larger = {f"{r.method} {r.template}": r.body_limit for r in ROUTES if r.body_limit != 64 * 1024}
    assert larger == {
        "POST /send": 256 * 1024,
        "PUT /templates/{template_id}": 256 * 1024,
        "PUT /tenants/{tenant_id}/templates/{template_id}": 256 * 1024,  # as a template's
        # Courier's notifications API writes the same templates.
        "POST /notifications": 256 * 1024,
        "PUT /notifications/{id}": 256 * 1024,
        "PUT /notifications/{id}/content": 256 * 1024,
        "PUT /notifications/{id}/elements/{element_id}": 256 * 1024,
        "PUT /notifications/{id}/locales/{locale_id}": 256 * 1024,
        # And a journey's own templates are such templates.
        "POST /journeys/{template_id}/templates": 256 * 1024,
        "PUT /journeys/{template_id}/templates/{notification_id}": 256 * 1024,
        "PUT /journeys/{template_id}/templates/{notification_id}/content": 256 * 1024,
        "PUT /journeys/{template_id}/templates/{notification_id}/locales/{locale_id}": 256 * 1024,
        "PUT /broadcasts/{broadcast_id}/content": 256 * 1024,
        "POST /profiles/{user_id}": 65 * 1024,
        "PUT /profiles/{user_id}": 65 * 1024,
        "PATCH /profiles/{user_id}": 65 * 1024,
        "POST /lists/{list_id}/subscriptions": 512 * 1024,
        "PUT /lists/{list_id}/subscriptions": 512 * 1024,
        "POST /callbacks/sendgrid/{workspace}": 1024 * 1024,
        "PUT /tenants/{tenant_id}": 128 * 1024,
        "PUT /users/{user_id}/tenants": 128 * 1024,
        "PUT /users/{user_id}/tokens": 256 * 1024,
        "PUT /translations/{domain}/{locale}": 257 * 1024,  # a .po file as a JSON string
        "POST /bulk": 256 * 1024,  # a bulk job's message, as much as a send's
        "POST /bulk/{job_id}": 1024 * 1024,  # up to 1,000 users
        "POST /console/templates/{template_id}": 832 * 1024,
        "POST /console/templates/{template_id}/preview": 832 * 1024,
    }
    assert max(larger.values()) <= MIB and DEFAULT_MAX_BODY == 64 * 1024


@pytest.mark.parametrize(
    ("path", "method", "declared"),
    [
        ("/send", "POST", 29 * MIB),
        ("/templates/welcome", "PUT", 6 * MIB),
        ("/brands", "POST", 5 * MIB),
        ("/lists/news/subscriptions", "POST", 5 * MIB),
        ("/send", "POST", 256 * 1024 + 1),
    ],
)
def test_a_declared_length_over_the_limit_is_refused_without_reading_a_byte(
    path: str, method: str, declared: int
) -> None:
    api, _ = make_api()
    body = RecordingStream(declared)
    request = HttpRequest(method, path, {"Authorization": f"Bearer {KEY}"})
    response = api.receive(request, body, declared)
    assert (response.status, response.body["errors"][0]["field"]) == (413, "body")
    assert str(declared) in response.body["errors"][0]["reason"]
    assert body.read_bytes == 0


def test_a_body_without_a_length_is_read_one_byte_past_the_limit_then_refused() -> None:
    api, _ = make_api()
    body = RecordingStream(29 * MIB)  # chunked: no Content-Length
    request = HttpRequest("POST", "/send", {"Authorization": f"Bearer {KEY}"})
    response = api.receive(request, body, None)
    assert response.status == 413
    assert body.read_bytes == 256 * 1024 + 1


def test_a_body_within_the_limit_is_read_exactly_and_handled() -> None:
    api, _ = make_api()
    raw = json.dumps(
        {"message": {"to": {"email": "ada@example.com"}, "content": {"body": "x"}}}
    ).encode()
    for declared in (len(raw), None):
        response = api.receive(
            HttpRequest("POST", "/send", {"Authorization": f"Bearer {KEY}"}),
            io.BytesIO(raw),
            declared,
        )
        assert response.status == 202


def test_read_body_at_its_limit() -> None:
    assert read_body(io.BytesIO(b"x" * 10), 10, 10) == b"x" * 10
    assert read_body(io.BytesIO(b"x" * 10), None, 10) == b"x" * 10
    for declared in (11, None):
        with pytest.raises(PayloadTooLarge):
            read_body(io.BytesIO(b"x" * 11), declared, 10)
    # A declared length is all that is read, whatever follows it.
    assert read_body(io.BytesIO(b"abcdef"), 3, 10) == b"abc"


def test_an_oversized_body_with_an_idempotency_key_is_refused_before_the_key_is_claimed() -> None:
    api, _ = make_api()
    store = InMemoryIdempotencyStore()
    api.idempotency = IdempotentPosts(store)
    headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k1"}
    body = RecordingStream(29 * MIB)
    assert api.receive(HttpRequest("POST", "/send", headers), body, 29 * MIB).status == 413
    over = api.handle(HttpRequest("POST", "/send", headers, b" " * (256 * 1024 + 1)))
    assert over.status == 413
    assert store.records == {}


def test_firestores_own_example_document_size() -> None:
    # https://firebase.google.com/docs/firestore/storage-size: 147 bytes.
    task = {
        "type": "Personal",
        "done": False,
        "priority": 1,
        "description": "Learn Cloud Firestore",
    }
    assert document_size(("users", "jeff", "tasks", "my_task_id"), task) == 147


def test_the_stored_bound_at_its_limit() -> None:
    path = ("workspaces", "ws", "templates", "t")
    base = document_size(path, {"s": ""})
    fits = {"s": "x" * (MAX_STORED_BYTES - base)}
    assert document_size(path, fits) == MAX_STORED_BYTES
    check_document_size(path, fits)
    with pytest.raises(PayloadTooLarge) as refused:
        check_document_size(path, {"s": fits["s"] + "x"})
    assert refused.value.errors[0].field == "template"


def test_a_subscription_that_would_be_stored_over_the_bound_is_a_413_naming_it() -> None:
    # 500 KB of JSON zeros, within the route's 512 KiB: 2 MB as Firestore stores integers.
    api, pipeline = make_api()
    zeros = [0] * 250_000
    body = {"recipients": [{"recipientId": "ada", "preferences": {"z": zeros}}]}
    assert len(json.dumps(body, separators=(",", ":"))) < 512 * 1024
    raw = json.dumps(body, separators=(",", ":")).encode()
    response = call(api, "POST", "/lists/news/subscriptions", raw)
    assert (response.status, response.body["errors"][0]["field"]) == (413, "subscription")
    assert not any(len(path) == 4 for _, path in pipeline.documents._documents)


def test_a_send_whose_message_would_be_stored_over_the_bound_is_a_413_naming_it() -> None:
    api, pipeline = make_api()
    body = {
        "message": {
            "to": {"email": "ada@example.com"},
            "content": {"body": "x"},
            "data": {"z": [0] * 120_000},
        }
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) < 256 * 1024
    response = call(api, "POST", "/send", raw)
    assert (response.status, response.body["errors"][0]["field"]) == (413, "message")
    assert pipeline.messages.messages == {}


@pytest.mark.parametrize(
    "value",
    [
        0,
        [0] * 1000,
        -1.5e-300,
        "",
        "é✓",
        {"": ""},
        {"k": [None, True, False, {}, []]},
        {"nested": {"a": {"b": {"c": [1, 2, 3]}}}},
        [[[]]],
    ],
)
def test_a_values_json_bounds_what_firestore_counts_for_it(value: object) -> None:
    """What lets a send skip counting: stored size <= 8 x its JSON (UTF-8) bytes."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    assert value_size(value) <= STORED_BYTES_PER_JSON_BYTE * len(encoded)
