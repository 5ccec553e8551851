"""Route modules. Each exposes ``router``; ``ROUTE_MODULES`` mounts them all."""

from herald.api.http import Router
from herald.api.routes import (
    callbacks,
    lists,
    messages,
    preferences,
    profiles,
    send,
    suppressions,
)

ROUTE_MODULES = (send, messages, profiles, lists, preferences, suppressions, callbacks)


def build_router() -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        router.include(module.router)
    return router
