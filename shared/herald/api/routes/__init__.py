"""Route modules. Each exposes ``router``; ``build_router`` mounts them all, and last
``GET /openapi.json``, which serves the document of the routes mounted beside it.

A route declares its path, method, models and OpenAPI metadata on its handler
(``@router.get(path, summary=..., tag=..., answers=...)``, see ``herald.api.http``):
the OpenAPI document is built from the routes alone.
"""

from __future__ import annotations

import functools
from typing import Any

from herald.api.http import Router
from herald.api.openapi import document
from herald.api.routes import (
    audiences,
    audit_events,
    auth,
    automations,
    brands,
    broadcasts,
    bulk,
    callbacks,
    console,
    console_edits,
    console_templates,
    console_workspace,
    digests,
    inbound,
    inbox,
    journey_templates,
    journeys,
    lists,
    messages,
    notification_metrics,
    notifications,
    openapi,
    preference_sections,
    preferences,
    preferences_page,
    profile_lists,
    profiles,
    provider_configurations,
    quota,
    routing_strategies,
    send,
    suppressions,
    templates,
    tenant_templates,
    tenants,
    test_outbox,
    tokens,
    tracking,
    translations,
    unsubscribe,
    webhooks,
)

# preferences before preferences_page: /preferences/topics is the API's, never a token.
ROUTE_MODULES = (
    send,
    inbound,
    automations,
    digests,
    journeys,
    journey_templates,
    messages,
    test_outbox,
    profiles,
    profile_lists,
    lists,
    preferences,
    preference_sections,
    templates,
    routing_strategies,
    provider_configurations,
    notifications,
    notification_metrics,
    broadcasts,
    audit_events,
    brands,
    tenants,
    tenant_templates,
    tokens,
    auth,
    inbox,
    audiences,
    translations,
    bulk,
    quota,
    webhooks,
    suppressions,
    callbacks,
    tracking,
    unsubscribe,
    preferences_page,
    console,
    console_templates,
    console_workspace,
    console_edits,
)


def build_router() -> Router:
    router = Router()
    for module in ROUTE_MODULES:
        router.include(module.router)
    # Built on the first request for it, once per instance.
    router.include(openapi.serving(functools.cache(lambda: document(router))))
    return router


@functools.cache
def current_document() -> dict[str, Any]:
    """This deployment's document: what the api serves and ``herald generate`` writes."""
    return document(build_router())
