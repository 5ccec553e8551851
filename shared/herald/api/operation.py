"""What the OpenAPI document says of a route, declared on the route itself.

``Router.get/post/put/delete`` (``herald.api.http``) take these with the path and
method; ``herald.api.openapi`` builds the document from the registered routes.
The standard errors (400, 401, 404, the idempotency guard's 409 and 422 on
POSTs, contention's 409, 500) are added there: declare only what is particular
to the route.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class Answer:
    """One documented response: its status, its body's model (None: no JSON body), what it
    means; ``raw`` names the media type of a body sent as bytes (``text/html``, ``image/gif``)."""

    status: int
    model: type[BaseModel] | None
    description: str
    raw: str | None = None


@dataclass(frozen=True)
class Query:
    """One query parameter (a string, or repeated when ``repeated``)."""

    name: str
    description: str
    repeated: bool = False
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """A route's OpenAPI metadata (its path and method are the route's own)."""

    summary: str
    tag: str
    answers: tuple[Answer, ...]
    request: type[BaseModel] | None = None
    request_required: bool = True
    query: tuple[Query, ...] = ()
    description: str = ""


NO_CONTENT = Answer(204, None, "done; no body")


def cursor(what: str) -> Query:
    return Query("cursor", f"the paging.cursor of the previous page of {what}")
