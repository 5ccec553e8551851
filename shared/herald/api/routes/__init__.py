"""Route modules. Each exposes ``router``; ``ROUTE_MODULES`` mounts them all."""

from herald.api.http import Router
from herald.api.routes import (
    brands,
    lists,
    messages,
    preferences,
    profiles,
    send,
    templates,
    webhooks,
)

ROUTE_MODULES = (send, messages, profiles, lists, preferences, templates, brands, webhooks)


def build_router() -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        router.include(module.router)
    return router
