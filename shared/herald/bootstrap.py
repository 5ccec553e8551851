"""The composition root: builds each function's service once per instance.

Clients are created lazily on first use and reused across invocations; a
function imports only the adapters its service needs (the api never loads
Pub/Sub, the consumers never load the publisher).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from herald.config import CallbackSettings, Settings

if TYPE_CHECKING:
    from google.cloud import firestore

    from herald.api.http import Api
    from herald.engagement.links import LinkMaker
    from herald.services.canceling import CancelService
    from herald.services.customer_webhooks.observer import CustomerWebhooks
    from herald.services.delivering import DeliverService
    from herald.services.feedback import FeedbackService
    from herald.services.reading import MessageReader
    from herald.services.relaying import RelayService
    from herald.services.rendering import RenderService
    from herald.services.sending import SendService
    from herald.services.sweeping import SweepService
    from herald.store.base import MessageRepository
    from herald.store.documents import DocumentStore


# Every delivery needs its workspace's settings: read once a minute per instance at most.
WORKSPACE_SETTINGS_CACHE_S = 60.0


@functools.cache
def settings() -> Settings:
    return Settings.from_env()


@functools.cache
def link_maker() -> LinkMaker | None:
    """Signs email links, when a public URL and a link secret are configured."""
    config = settings()
    if not (config.public_url and config.link_secret):
        return None
    from herald.engagement.links import DAY_S, LinkMaker
    from herald.engagement.tokens import LinkSigner

    return LinkMaker(
        config.public_url,
        LinkSigner.from_setting(config.link_secret),
        int(config.link_ttl_days * DAY_S),
    )


@functools.cache
def firestore_client() -> firestore.Client:
    from google.cloud import firestore

    if counts := os.environ.get("HERALD_FIRESTORE_COUNTS_DIR"):
        # The benchmark's stacks: every operation counted (herald.local.firestore_counts).
        from herald.local.firestore_counts import counting_client

        return counting_client(settings().project, Path(counts))
    return firestore.Client(project=settings().project)


def _messages() -> MessageRepository:
    from herald.store.firestore import FirestoreMessages

    return FirestoreMessages(firestore_client())


def _documents() -> DocumentStore:
    from herald.store.firestore_documents import FirestoreDocuments

    return FirestoreDocuments(firestore_client())


class _ApiServices:
    @functools.cached_property
    def sending(self) -> SendService:
        from herald.services.sending import SendService

        return SendService(
            _messages(), self.documents, max_messages=settings().max_messages_per_request
        )

    @functools.cached_property
    def reader(self) -> MessageReader:
        from herald.services.reading import MessageReader
        from herald.store.firestore import FirestoreSummaries

        return MessageReader(_messages(), FirestoreSummaries(firestore_client()))

    @functools.cached_property
    def documents(self) -> DocumentStore:
        return _documents()

    @functools.cached_property
    def canceling(self) -> CancelService:
        from herald.services.canceling import CancelService

        return CancelService(_messages())

    @functools.cached_property
    def feedback(self) -> FeedbackService:
        from herald.services.feedback import FeedbackService
        from herald.services.suppression import SuppressionList

        return FeedbackService(_messages(), SuppressionList(self.documents))

    @functools.cached_property
    def callbacks(self) -> CallbackSettings:
        return CallbackSettings.from_env()

    @property
    def links(self) -> LinkMaker | None:
        return link_maker()


@functools.cache
def api() -> Api:
    from herald.api.http import Api
    from herald.api.key_cache import CachedKeys
    from herald.api.routes import build_router
    from herald.idempotency.firestore import FirestoreIdempotencyStore
    from herald.idempotency.http import IdempotentPosts
    from herald.store.firestore import FirestoreKeys

    return Api(
        build_router(),
        CachedKeys(FirestoreKeys(firestore_client()), ttl_s=settings().api_key_cache_s),
        _ApiServices(),
        IdempotentPosts(FirestoreIdempotencyStore(firestore_client())),
    )


@functools.cache
def relay_service() -> RelayService:
    from herald.publish.pubsub import PubSubPublisher
    from herald.services.customer_webhooks.presence import EndpointPresence
    from herald.services.relaying import RelayService

    presence = EndpointPresence(_documents(), cache_s=settings().webhook_endpoints_cache_s)
    return RelayService(
        _messages(), PubSubPublisher(settings().project), attributes=presence.attributes
    )


@functools.cache
def sweep_service() -> SweepService:
    from herald.services.sweeping import SweepService
    from herald.store.firestore import FirestoreSweep, FirestoreTimers

    config = settings()
    return SweepService(
        FirestoreSweep(firestore_client()),
        _messages(),
        relay_service(),
        FirestoreTimers(firestore_client()),
        unpublished_after_ms=int(config.sweep_unpublished_after_s * 1000),
        stuck_after_ms=int(config.sweep_stuck_after_s * 1000),
        batch=config.sweep_batch,
    )


@functools.cache
def render_service() -> RenderService:
    from herald.services.rendering import RenderService
    from herald.store.firestore import FirestoreTimers, FirestoreWorkspaces

    return RenderService(
        _messages(),
        FirestoreTimers(firestore_client()),
        _documents(),
        links=link_maker(),
        workspaces=FirestoreWorkspaces(firestore_client(), cache_s=WORKSPACE_SETTINGS_CACHE_S),
    )


@functools.cache
def deliver_service() -> DeliverService:
    from herald.providers.factory import build_providers
    from herald.services.delivering import DeliverService
    from herald.services.ratelimit import RateLimiter
    from herald.services.suppression import SuppressionList
    from herald.store.firestore import FirestoreAttempts, FirestoreTimers, FirestoreWorkspaces

    config = settings()
    return DeliverService(
        _messages(),
        FirestoreAttempts(firestore_client()),
        build_providers(config),
        policy=config.ambiguous_policy,
        channel_policies=config.channel_policies,
        max_tries=config.max_delivery_tries,
        lease_s=config.attempt_lease_s,
        workspaces=FirestoreWorkspaces(firestore_client(), cache_s=WORKSPACE_SETTINGS_CACHE_S),
        timers=FirestoreTimers(firestore_client()),
        retry_base_s=config.retry_base_s,
        retry_max_s=config.retry_max_s,
        message_timeout_s=config.message_timeout_s,
        channel_timeout_s=config.channel_timeout_s,
        provider_timeout_s=config.provider_timeout_s,
        limiter=RateLimiter(config.rate_limits),
        suppressions=SuppressionList(_documents()),
    )


@functools.cache
def customer_webhooks() -> CustomerWebhooks:
    from herald.services.customer_webhooks.observer import CustomerWebhooks
    from herald.services.customer_webhooks.sender import HttpSender
    from herald.store.firestore import FirestoreTimers, FirestoreWorkspaces

    config = settings()
    return CustomerWebhooks(
        _documents(),
        HttpSender(config.webhook_timeout_s),
        messages=_messages(),
        timers=FirestoreTimers(firestore_client()),
        workspaces=FirestoreWorkspaces(firestore_client(), cache_s=WORKSPACE_SETTINGS_CACHE_S),
        allow_private=config.webhook_allow_private,
        max_endpoints=config.max_webhook_endpoints,
    )
