"""The OpenAPI document: built from the routes, valid OpenAPI 3.1, served without a key."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from herald.api import openapi
from herald.api.http import Router
from herald.api.operation import Answer
from herald.api.routes import build_router, current_document
from tests.unit.test_api import call, make_api


def test_a_route_cannot_be_registered_without_its_documentation() -> None:
    router = Router()
    with pytest.raises(KeyError, match="summary"):
        router.get("/undocumented", tag="Test", answers=())  # type: ignore[call-arg]


def test_the_document_is_built_from_the_routes_alone() -> None:
    router = Router()

    @router.delete(
        "/things/{thing_id}",
        summary="Delete a thing",
        tag="Things",
        answers=(Answer(204, None, "done"),),
    )
    def delete_thing(ctx: Any) -> Any:
        raise AssertionError("not called")

    document = openapi.document(router)
    validate(document)
    operation = document["paths"]["/things/{thing_id}"]["delete"]
    assert (operation["operationId"], operation["summary"], operation["tags"]) == (
        "deleteThing",
        "Delete a thing",
        ["Things"],
    )
    assert document["tags"] == [{"name": "Things"}]
    assert operation["responses"]["204"] == {"description": "done"}


def test_the_document_is_valid_openapi_3_1() -> None:
    document = current_document()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises, saying where, when it is not


def test_the_document_has_every_route_with_its_security() -> None:
    document = current_document()
    router = build_router()
    for route in router.routes:
        operation = document["paths"][route.template][route.method.lower()]
        assert (operation.get("security") == []) is route.public, route.template
        if not route.public:
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
    assert document["paths"]["/openapi.json"]["get"]["security"] == []
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operation_ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_posts_document_the_idempotency_headers_and_answers() -> None:
    send = current_document()["paths"]["/send"]["post"]
    headers = [p["name"] for p in send["parameters"] if p["in"] == "header"]
    assert headers == ["Idempotency-Key", "x-idempotency-expiration"]
    assert {"202", "400", "401", "409", "422", "500"} <= send["responses"].keys()
    assert "Idempotent-Replayed" in send["responses"]["202"]["headers"]
    assert send["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SendRequest"
    }


def test_the_document_is_served_without_an_api_key() -> None:
    api, _ = make_api()
    response = call(api, "GET", "/openapi.json", key=None)
    assert (response.status, response.body) == (200, current_document())


def test_a_raw_body_is_documented_with_its_media_type() -> None:
    router = Router()

    @router.get(
        "/u/{token}",
        summary="Unsubscribe page",
        tag="Pages",
        answers=(Answer(200, None, "the page", raw="text/html"),),
        public=True,
    )
    def unsubscribe_page(ctx: Any) -> Any:
        raise AssertionError("not called")

    document = openapi.document(router)
    validate(document)
    answer = document["paths"]["/u/{token}"]["get"]["responses"]["200"]
    assert answer["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert document["paths"]["/u/{token}"]["get"]["security"] == []
