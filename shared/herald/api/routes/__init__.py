"""Route modules. Each exposes ``router``; ``ROUTE_MODULES`` mounts them all.

A route declares its path, method, models and OpenAPI metadata on its handler
(``@router.get(path, summary=..., tag=..., answers=...)``, see ``herald.api.http``):
the OpenAPI document is built from the routes alone.
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
