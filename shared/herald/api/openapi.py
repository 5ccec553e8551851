"""The OpenAPI 3.1 document of the HTTP API, built from the registered routes alone.

Each route carries its path, method, whether it needs the API key, and its
``Operation`` (summary, bodies, answers, query parameters: ``herald.api.operation``),
all declared on the route; schemas come from the pydantic models.
``herald.api.routes`` builds this API's document from its router: ``herald
generate`` writes it to ``schemas/openapi.json``; the API serves it at
``GET /openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import herald
from herald.api.http import Route, Router, counts_against_quota
from herald.api.models import ErrorBody
from herald.api.operation import Answer
from herald.domain.send import ID_PATTERN

OPENAPI_VERSION = "3.1.0"
DOCUMENT_PATH = "schemas/openapi.json"
REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"
SECURITY_SCHEME = "bearer"
_PATH_PARAM = re.compile(r"\{(\w+)\}")

# The idempotency guard's headers (``herald.idempotency``), on every authenticated POST.
IDEMPOTENCY_HEADERS = (
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Runs the request once: a retry with the same key and body replays "
        "the first answer (24 hours by default).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    {
        "name": "x-idempotency-expiration",
        "in": "header",
        "required": False,
        "description": "When the key may be reused: Unix seconds or milliseconds, or ISO "
        "8601 (at least 24 hours, at most 30 days ahead).",
        "schema": {"type": "string"},
    },
)
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer of an earlier request "
        "with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def document(router: Router) -> dict[str, Any]:
    """The OpenAPI document of the router's routes, in registration order."""
    refs, components = _components(router.routes)
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for route in router.routes:
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(
            route, refs, _operation_id(route, taken)
        )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Herald API",
            "version": herald.__version__,
            "summary": "A Courier-compatible notification API",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "security": [{SECURITY_SCHEME: []}],
        "tags": [{"name": tag} for tag in dict.fromkeys(r.operation.tag for r in router.routes)],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The workspace's API key: `Authorization: Bearer <key>`",
                }
            },
        },
    }


def _components(
    routes: Sequence[Route],
) -> tuple[dict[type[BaseModel], dict[str, Any]], dict[str, Any]]:
    models: dict[type[BaseModel], None] = {ErrorBody: None}
    for op in (route.operation for route in routes):
        if op.request is not None:
            models[op.request] = None
        for answer in op.answers:
            if answer.model is not None:
                models[answer.model] = None
    # One mode for every model: the schemas describe the JSON as it travels, with aliases.
    key_map, definitions = models_json_schema(
        [(model, "validation") for model in models], ref_template=REF_TEMPLATE
    )
    refs = {model: key_map[(model, "validation")] for model in models}
    return refs, dict(sorted(definitions.get("$defs", {}).items()))


def _operation_id(route: Route, taken: set[str]) -> str:
    name = route.handler.__name__
    words = name.split("_")
    operation_id = words[0] + "".join(w.title() for w in words[1:])
    if operation_id in taken:  # two modules named a handler alike: qualify by the module
        operation_id = f"{route.handler.__module__.rsplit('.', 1)[-1]}.{operation_id}"
    taken.add(operation_id)
    return operation_id


def _operation(
    route: Route, refs: dict[type[BaseModel], dict[str, Any]], operation_id: str
) -> dict[str, Any]:
    op = route.operation
    path_params = _PATH_PARAM.findall(route.template)
    idempotent = route.method == "POST" and not route.public
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": f"^{ID_PATTERN}$"},
        }
        for name in path_params
    ]
    for query in op.query:
        value: dict[str, Any] = {"type": "string"}
        if query.enum:
            value["enum"] = list(query.enum)
        parameters.append(
            {
                "name": query.name,
                "in": "query",
                "required": False,
                "description": query.description,
                "schema": {"type": "array", "items": value} if query.repeated else value,
            }
        )
    if idempotent:
        parameters.extend(IDEMPOTENCY_HEADERS)
    result: dict[str, Any] = {
        "operationId": operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        result["description"] = op.description
    if parameters:
        result["parameters"] = parameters
    if op.request is not None:
        result["requestBody"] = {
            "required": op.request_required,
            "content": {JSON: {"schema": refs[op.request]}},
        }
    if route.public:
        result["security"] = []
    result["responses"] = _responses(route, refs, bool(path_params), idempotent)
    return result


# ``herald.api.quotas``: where the workspace stands, on every answer of a POST with a key.
QUOTA_HEADERS = {
    "X-RateLimit-Limit": {
        "description": "requests this api instance lets the workspace make at once (its burst)",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "requests that would pass right after this one",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "seconds until the workspace's whole burst is available again",
        "schema": {"type": "integer"},
    },
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "seconds until one more request would pass",
        "schema": {"type": "integer"},
    }
}


def _responses(
    route: Route,
    refs: dict[type[BaseModel], dict[str, Any]],
    has_path_params: bool,
    idempotent: bool,
) -> dict[str, Any]:
    op = route.operation
    error = refs[ErrorBody]
    standard: list[tuple[int, str]] = []
    if op.request is not None or op.query or idempotent:
        standard.append((400, "invalid request: `errors` names each field and why"))
    if not route.public:
        standard.append((401, "no API key, or not a valid one"))
    if has_path_params:
        standard.append((404, "no such resource in this workspace"))
    if idempotent:
        standard.append((409, "a request with this Idempotency-Key is still in progress"))
        standard.append((422, "this Idempotency-Key was used with a different body"))
    if route.method != "GET":
        standard.append(
            (409, "changed by other requests at the same time: retry after `Retry-After`")
        )
    if counts_against_quota(route):
        standard.append((429, "over the workspace's quota: retry after `Retry-After`"))
    standard.append((500, "internal error; it was logged"))

    responses: dict[str, Any] = {}
    for answer in op.answers:
        responses[str(answer.status)] = _answer(answer, refs, idempotent)
    for status, description in standard:
        # A declared answer of the same status (cancel's 409) may also be the error.
        if str(status) in responses:
            declared = responses[str(status)]
            if JSON not in declared.get("content", {JSON: None}):
                continue  # a page (HTML) answers that status itself, not the JSON error
            content = declared.setdefault("content", {JSON: {"schema": error}})
            if content[JSON]["schema"] is not error:
                content[JSON]["schema"] = {"anyOf": [content[JSON]["schema"], error]}
            declared["description"] += f"; or {description}"
            continue
        responses[str(status)] = {"description": description, "content": {JSON: {"schema": error}}}
    if counts_against_quota(route):
        for code, described in responses.items():
            if code != "500":
                described.setdefault("headers", {}).update(QUOTA_HEADERS)
        responses["429"]["headers"].update(RETRY_AFTER_HEADER)
    return dict(sorted(responses.items()))


def _answer(
    answer: Answer, refs: dict[type[BaseModel], dict[str, Any]], idempotent: bool
) -> dict[str, Any]:
    described: dict[str, Any] = {"description": answer.description}
    if answer.model is not None:
        described["content"] = {JSON: {"schema": refs[answer.model]}}
    elif answer.raw is not None:
        described["content"] = {answer.raw: {"schema": {"type": "string"}}}
    if idempotent and answer.status < 500:
        described["headers"] = dict(REPLAYED_HEADER)
    return described
