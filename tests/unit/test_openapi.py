"""The OpenAPI document: every route documented, valid OpenAPI 3.1, served without a key."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from herald.api import openapi
from herald.api.http import Router
from herald.api.operation import Answer, Operation
from herald.api.routes import ROUTE_MODULES, build_router, current_document, operations
from tests.unit.test_api import call, make_api

HOW_TO_DOCUMENT = (
    "declare an Operation for it in its route module's OPERATIONS tuple, next to `router` "
    "(e.g. OPERATIONS = (Operation('{method}', '{path}', 'Summary', 'Tag', "
    "(Answer(200, ResponseModel, 'what it answers'),), request=RequestModel),)); "
    "see herald/api/operation.py and herald/api/routes/openapi.py"
)


def test_every_registered_route_is_documented() -> None:
    missing = openapi.undocumented(build_router(), operations())
    assert not missing, "\n".join(
        f"{r.method} {r.template} (handler {r.handler.__module__}.{r.handler.__name__}) is "
        "not in the OpenAPI document: " + HOW_TO_DOCUMENT.format(method=r.method, path=r.template)
        for r in missing
    )


def test_every_documented_operation_is_a_registered_route() -> None:
    stray = openapi.unrouted(build_router(), operations())
    assert not stray, "\n".join(
        f"{op.method} {op.path} is documented but no route has that method and template "
        "(renamed or removed?): fix or drop its Operation"
        for op in stray
    )


def test_each_route_is_documented_once() -> None:
    keys = [op.key for op in operations()]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []


def test_the_drift_checks_name_the_route_that_drifted() -> None:
    router = Router()

    @router.route("GET", "/suppressions/{address}")
    def get_suppression(ctx: Any) -> Any:
        raise AssertionError("not called")

    documented = Operation("DELETE", "/gone", "Gone", "Test", (Answer(204, None, "done"),))
    assert [(r.method, r.template) for r in openapi.undocumented(router, [documented])] == [
        ("GET", "/suppressions/{address}")
    ]
    assert openapi.unrouted(router, [documented]) == [documented]


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


def test_route_modules_may_declare_their_own_operations() -> None:
    from herald.api.routes import openapi as openapi_route

    assert openapi_route.OPERATIONS[0] in operations()
    assert all(
        module.OPERATIONS[0] in operations()
        for module in ROUTE_MODULES
        if hasattr(module, "OPERATIONS")
    )


def test_a_raw_body_is_documented_with_its_media_type() -> None:
    router = Router()

    @router.route("GET", "/u/{token}", public=True)
    def unsubscribe_page(ctx: Any) -> Any:
        raise AssertionError("not called")

    page = Answer(200, None, "the page", raw="text/html")
    document = openapi.document(
        router, [Operation("GET", "/u/{token}", "Unsubscribe page", "Pages", (page,))]
    )
    validate(document)
    answer = document["paths"]["/u/{token}"]["get"]["responses"]["200"]
    assert answer["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert document["paths"]["/u/{token}"]["get"]["security"] == []
