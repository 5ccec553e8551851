"""GET /openapi.json: the API's own OpenAPI 3.1 document (no API key needed).

The document describes the routes mounted beside this one: ``build_router``
hands it over as ``serving(document)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document (its own schema is the OpenAPI specification's)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


def serving(document: Callable[[], dict[str, Any]]) -> Router:
    """The route answering with ``document()``."""
    router = Router()

    @router.get(
        "/openapi.json",
        summary="This API's OpenAPI 3.1 document",
        tag="Meta",
        answers=(
            Answer(
                200,
                OpenApiDocument,
                "the document; also in the repository as schemas/openapi.json",
            ),
        ),
        public=True,
    )
    def get_openapi(ctx: Context) -> HttpResponse:
        return HttpResponse(200, document())

    return router
