"""Route modules. Each exposes ``router``; ``ROUTE_MODULES`` mounts them all.

Every route is documented in the OpenAPI document: declare an ``Operation`` for it
in the module's ``OPERATIONS`` tuple (see ``herald.api.operation`` and
``routes/openapi.py``), or a unit test fails naming the route.
"""

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
    openapi,
)


def build_router() -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        router.include(module.router)
    return router
