"""GET /openapi.json: the API's own OpenAPI 3.1 document (no API key needed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer

router = Router()


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document (its own schema is the OpenAPI specification's)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


@router.get(
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    tag="Meta",
    answers=(
        Answer(
            200, OpenApiDocument, "the document; also in the repository as schemas/openapi.json"
        ),
    ),
    public=True,
)
def get_openapi(ctx: Context) -> HttpResponse:
    # Imported here: the builder gathers every route module, this one included.
    from herald.api import openapi

    return HttpResponse(200, openapi.current())
