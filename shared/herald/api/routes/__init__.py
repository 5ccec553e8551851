"""Route modules. Each exposes ``router``; ``build_router`` mounts them all, and last
``GET /openapi.json``, which serves the document of the routes mounted beside it.

Every route is documented in the OpenAPI document: declare an ``Operation`` for it
in the module's ``OPERATIONS`` tuple (see ``herald.api.operation`` and
``routes/openapi.py``), or a unit test fails naming the route.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from herald.api.http import Router
from herald.api.routes import (
    brands,
    callbacks,
    lists,
    messages,
    openapi,
    preferences,
    preferences_page,
    profiles,
    send,
    suppressions,
    templates,
    tracking,
    unsubscribe,
    webhooks,
)

if TYPE_CHECKING:
    from herald.api.operation import Operation

# preferences before preferences_page: /preferences/topics is the API's, never a token.
ROUTE_MODULES = (
    send,
    messages,
    profiles,
    lists,
    preferences,
    templates,
    brands,
    webhooks,
    suppressions,
    callbacks,
    tracking,
    unsubscribe,
    preferences_page,
)


def operations() -> tuple[Operation, ...]:
    """The core table and every route module's own ``OPERATIONS``."""
    # Imported here: only the document needs them, never a request to another route.
    from herald.api.operations import OPERATIONS

    found: list[Operation] = list(OPERATIONS)
    for module in (*ROUTE_MODULES, openapi):
        found.extend(getattr(module, "OPERATIONS", ()))
    return tuple(found)


def document_of(router: Router) -> dict[str, Any]:
    """The OpenAPI document of ``router``'s routes."""
    from herald.api.openapi import document

    return document(router, operations())


def build_router() -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        router.include(module.router)
    # Built on the first request for it, once per instance.
    router.include(openapi.serving(functools.cache(lambda: document_of(router))))
    return router


@functools.cache
def current_document() -> dict[str, Any]:
    """This deployment's document: what the api serves and ``herald generate`` writes."""
    return document_of(build_router())
