"""Route modules. Each exposes ``router``; ``ROUTE_MODULES`` mounts them all."""

from herald.api.http import Router
from herald.api.routes import (
    brands,
    lists,
    messages,
    preferences,
    preferences_page,
    profiles,
    send,
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
    tracking,
    unsubscribe,
    preferences_page,
)


def build_router() -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        router.include(module.router)
    return router
