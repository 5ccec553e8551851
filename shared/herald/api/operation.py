"""How a route is described in the OpenAPI document: one ``Operation`` per registered route.

A route module declares its operations next to its ``router`` as a module-level
``OPERATIONS`` tuple (or they sit in ``herald.api.operations``); a unit test
fails, naming the route, when a registered route has no operation or an
operation no route. The standard errors (400, 401, 404, and the idempotency
guard's 409 and 422 on POSTs) are added by ``herald.api.openapi``: declare only
what is particular to the route.
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
    method: str
    path: str  # the route's template, exactly as registered (``/lists/{list_id}``)
    summary: str
    tag: str
    answers: tuple[Answer, ...]
    request: type[BaseModel] | None = None
    request_required: bool = True
    query: tuple[Query, ...] = ()
    description: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def cursor(what: str) -> Query:
    return Query("cursor", f"the paging.cursor of the previous page of {what}")
