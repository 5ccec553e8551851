"""The composition root: every service, built from the adapters it runs on.

``build(adapters)`` is the one place services are wired. The functions and the
local stack's operator commands build on ``FirestoreAdapters`` (Firestore,
Pub/Sub, the providers' APIs), the unit tests on ``MemoryAdapters`` (the same
services over in-memory stores). Adapters and services alike are made on first
use and kept, once per instance: a function imports only the adapters its
service needs (the api never loads Pub/Sub, the consumers never load the
publisher).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from herald.config import CallbackSettings, Settings
from herald.ids import hash_api_key

if TYPE_CHECKING:
    from google.cloud import firestore

    from herald.api.http import Api
    from herald.console.event_stats import EventWebFigures
    from herald.console.sessions import ConsoleSessions
    from herald.engagement.links import LinkMaker
    from herald.engagement.user_tokens import UserTokens
    from herald.idempotency.base import IdempotencyStore
    from herald.observability.spanfile import TraceStore
    from herald.pipeline.accepting import SendService
    from herald.pipeline.automating import AutomationInvoker, AutomationRunner
    from herald.pipeline.broadcasting import BroadcastService
    from herald.pipeline.canceling import CancelService
    from herald.pipeline.customer_webhooks.observer import CustomerWebhooks
    from herald.pipeline.customer_webhooks.sender import PostOutcome, Sender
    from herald.pipeline.delivering import DeliverService
    from herald.pipeline.digesting import DigestService
    from herald.pipeline.feedback import FeedbackService
    from herald.pipeline.journeys import JourneyService
    from herald.pipeline.relaying import RelayService
    from herald.pipeline.rendering import RenderService
    from herald.pipeline.sweeping import SweepService
    from herald.providers.base import Provider
    from herald.publish.base import Publisher
    from herald.publish.dead_letters import DeadLetters, DeadLetterSource
    from herald.realtime.app import RealtimeService
    from herald.resources.automations import AutomationRuns
    from herald.resources.digests import DigestSchedules
    from herald.resources.inbox import InboxService
    from herald.resources.messages import MessageReader
    from herald.resources.notification_metrics import NotificationMetrics
    from herald.resources.quotas import QuotaSettings
    from herald.resources.suppressions import SuppressionList
    from herald.resources.webhook_endpoints import EndpointService
    from herald.store.base import (
        AttemptRepository,
        KeyRepository,
        MessageRepository,
        SummaryRepository,
        SweepRepository,
        TimerRepository,
        WorkspaceRepository,
    )
    from herald.store.documents import DocumentStore
    from herald.store.inbox_watch import InboxWatch
    from herald.store.template_metrics import TemplateMetricsRepository


# Every delivery needs its workspace's settings: read once a minute per instance at most.
WORKSPACE_SETTINGS_CACHE_S = 60.0


class Adapters(Protocol):
    """What the services run on, and the settings they are configured with."""

    @property
    def settings(self) -> Settings: ...

    @property
    def callbacks(self) -> CallbackSettings: ...

    @property
    def links(self) -> LinkMaker | None:
        """Signs email links; None unless a public URL and a link secret are configured."""
        ...

    @property
    def messages(self) -> MessageRepository: ...

    @property
    def attempts(self) -> AttemptRepository: ...

    @property
    def summaries(self) -> SummaryRepository: ...

    @property
    def template_metrics(self) -> TemplateMetricsRepository: ...

    @property
    def timers(self) -> TimerRepository: ...

    @property
    def workspaces(self) -> WorkspaceRepository: ...

    @property
    def sweeps(self) -> SweepRepository: ...

    @property
    def keys(self) -> KeyRepository: ...

    @property
    def documents(self) -> DocumentStore: ...

    @property
    def inbox_watch(self) -> InboxWatch:
        """Listens to a user's inbox entries as they change (the real-time service)."""
        ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def publisher(self) -> Publisher: ...

    @property
    def providers(self) -> Sequence[Provider]: ...

    @property
    def webhook_sender(self) -> Sender: ...

    @property
    def dead_letters(self) -> DeadLetterSource:
        """The dead-letter subscriptions (and the topics a redrive publishes to)."""
        ...

    @property
    def traces(self) -> TraceStore | None:
        """Where a message's spans are read back from; None where they are not (Cloud
        Trace's own pages show them)."""
        ...


def link_maker(settings: Settings) -> LinkMaker | None:
    """Signs email links, when a public URL and a link secret are configured."""
    if not (settings.public_url and settings.link_secret):
        return None
    from herald.engagement.links import DAY_S, LinkMaker
    from herald.engagement.tokens import LinkSigner

    return LinkMaker(
        settings.public_url,
        LinkSigner.from_setting(settings.link_secret),
        int(settings.link_ttl_days * DAY_S),
    )


def quota_settings(adapters: Adapters) -> QuotaSettings:
    """Workspaces' quotas over the deployment's default: the api's and ``herald quota``'s."""
    from herald.resources.quotas import QuotaSettings
    from herald.store.base import WorkspaceQuota

    settings = adapters.settings
    default = WorkspaceQuota(rate=settings.quota_rate, burst=settings.quota_burst)
    return QuotaSettings(adapters.workspaces, default)


class FirestoreAdapters:
    """Firestore, Pub/Sub and the providers' APIs: what the functions run on.

    ``settings`` defaults to the environment's and ``client`` to a Firestore client
    for the settings' project, both made on first use.
    """

    def __init__(
        self, settings: Settings | None = None, client: firestore.Client | None = None
    ) -> None:
        self._given_settings = settings
        self._given_client = client

    @functools.cached_property
    def settings(self) -> Settings:
        return self._given_settings or Settings.from_env()

    @functools.cached_property
    def client(self) -> firestore.Client:
        if self._given_client is not None:
            return self._given_client
        from google.cloud import firestore

        return firestore.Client(project=self.settings.project)

    @functools.cached_property
    def callbacks(self) -> CallbackSettings:
        return CallbackSettings.from_env()

    @functools.cached_property
    def links(self) -> LinkMaker | None:
        return link_maker(self.settings)

    @functools.cached_property
    def messages(self) -> MessageRepository:
        from herald.store.firestore import FirestoreMessages

        return FirestoreMessages(self.client)

    @functools.cached_property
    def dead_letters(self) -> DeadLetterSource:
        from herald.publish.dead_letters import PubSubDeadLetters

        return PubSubDeadLetters(self.settings.project)

    @functools.cached_property
    def traces(self) -> TraceStore | None:
        from herald.config import TelemetrySettings
        from herald.observability import tracing
        from herald.observability.spanfile import SpanFileTraces

        if tracing.exporter_kind() != "file":
            return None
        return SpanFileTraces(TelemetrySettings.from_env().trace_dir)

    @functools.cached_property
    def attempts(self) -> AttemptRepository:
        from herald.store.firestore import FirestoreAttempts

        return FirestoreAttempts(self.client)

    @functools.cached_property
    def summaries(self) -> SummaryRepository:
        from herald.store.firestore import FirestoreSummaries

        return FirestoreSummaries(self.client)

    @functools.cached_property
    def template_metrics(self) -> TemplateMetricsRepository:
        from herald.store.firestore import FirestoreTemplateMetrics

        return FirestoreTemplateMetrics(self.client)

    @functools.cached_property
    def timers(self) -> TimerRepository:
        from herald.store.firestore import FirestoreTimers

        return FirestoreTimers(self.client)

    @functools.cached_property
    def workspaces(self) -> WorkspaceRepository:
        from herald.store.firestore import FirestoreWorkspaces

        return FirestoreWorkspaces(self.client, cache_s=WORKSPACE_SETTINGS_CACHE_S)

    @functools.cached_property
    def sweeps(self) -> SweepRepository:
        from herald.store.firestore import FirestoreSweep

        return FirestoreSweep(self.client)

    @functools.cached_property
    def keys(self) -> KeyRepository:
        from herald.api.key_cache import CachedKeys
        from herald.store.firestore import FirestoreKeys

        # Remembered for a while: a send would otherwise read its key before anything else.
        return CachedKeys(FirestoreKeys(self.client), ttl_s=self.settings.api_key_cache_s)

    @functools.cached_property
    def documents(self) -> DocumentStore:
        from herald.store.firestore_documents import FirestoreDocuments

        return FirestoreDocuments(self.client)

    @functools.cached_property
    def inbox_watch(self) -> InboxWatch:
        from herald.store.inbox_watch import FirestoreInboxWatch

        return FirestoreInboxWatch(self.client)

    @functools.cached_property
    def idempotency(self) -> IdempotencyStore:
        from herald.idempotency.firestore import FirestoreIdempotencyStore

        return FirestoreIdempotencyStore(self.client)

    @functools.cached_property
    def publisher(self) -> Publisher:
        from herald.publish.pubsub import PubSubPublisher

        return PubSubPublisher(self.settings.project)

    @functools.cached_property
    def providers(self) -> Sequence[Provider]:
        from herald.providers.factory import build_providers

        return build_providers(self.settings)

    @functools.cached_property
    def webhook_sender(self) -> Sender:
        from herald.pipeline.customer_webhooks.sender import HttpSender

        return HttpSender(self.settings.webhook_timeout_s)


class MemoryAdapters:
    """In-memory stores and publisher, for the unit tests: the providers and the webhook
    sender are the tests' own, and nothing leaves the process."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        providers: Sequence[Provider] = (),
        webhook_sender: Sender | None = None,
        links: LinkMaker | None = None,
        callbacks: CallbackSettings | None = None,
    ) -> None:
        from herald.idempotency.memory import InMemoryIdempotencyStore
        from herald.observability.spanfile import InMemoryTraces
        from herald.publish.dead_letters import InMemoryDeadLetters
        from herald.publish.memory import InMemoryPublisher
        from herald.store.documents import InMemoryDocuments
        from herald.store.inbox_watch import InMemoryInboxWatch
        from herald.store.memory import (
            InMemoryAttempts,
            InMemoryKeys,
            InMemoryMessages,
            InMemorySummaries,
            InMemorySweep,
            InMemoryTemplateMetrics,
            InMemoryTimers,
            InMemoryWorkspaces,
        )

        self.settings = settings or Settings.from_env({})
        self.callbacks = callbacks or CallbackSettings()
        self.links = links or link_maker(self.settings)
        self.summaries = InMemorySummaries()
        self.template_metrics = InMemoryTemplateMetrics()
        # The list's view and the templates' counts are kept in each commit of the
        # message, as on Firestore.
        self.messages = InMemoryMessages(self.summaries, self.template_metrics)
        self.attempts = InMemoryAttempts()
        self.timers = InMemoryTimers()
        self.workspaces = InMemoryWorkspaces()
        self.sweeps = InMemorySweep(self.messages)
        self.keys = InMemoryKeys()
        self.documents = InMemoryDocuments()
        self.inbox_watch = InMemoryInboxWatch(self.documents)
        self.idempotency = InMemoryIdempotencyStore()
        self.publisher = InMemoryPublisher()
        self.traces: InMemoryTraces | None = InMemoryTraces()
        self.dead_letters = InMemoryDeadLetters()
        self.providers: list[Provider] = list(providers)
        self.webhook_sender: Sender = webhook_sender or _NoWebhookSender()


class _NoWebhookSender:
    """``MemoryAdapters``' sender when a test gives none: nothing is posted by surprise."""

    def post(
        self, url: str, body: bytes, headers: dict[str, str], allow_private: bool
    ) -> PostOutcome:
        raise AssertionError(f"a webhook POST to {url} with no webhook_sender given")


class Services:
    """Every service, each built from the adapters on first use and kept.

    The api's route handlers reach it as ``ctx.services`` (``herald.api.http.ApiServices``).
    """

    def __init__(self, adapters: Adapters) -> None:
        self.adapters = adapters

    # --- what the api's routes use ------------------------------------------------------

    @property
    def documents(self) -> DocumentStore:
        return self.adapters.documents

    @property
    def workspaces(self) -> WorkspaceRepository:
        return self.adapters.workspaces

    @functools.cached_property
    def quotas(self) -> QuotaSettings:
        return quota_settings(self.adapters)

    @property
    def links(self) -> LinkMaker | None:
        return self.adapters.links

    @property
    def callbacks(self) -> CallbackSettings:
        return self.adapters.callbacks

    @functools.cached_property
    def sending(self) -> SendService:
        from herald.pipeline.accepting import SendService

        return SendService(
            self.adapters.messages,
            self.adapters.documents,
            max_messages=self.adapters.settings.max_messages_per_request,
            workspaces=self.adapters.workspaces,
        )

    @functools.cached_property
    def reader(self) -> MessageReader:
        from herald.resources.messages import MessageReader

        return MessageReader(
            self.adapters.messages,
            self.adapters.summaries,
            self.adapters.attempts,
            self.adapters.documents,
        )

    @functools.cached_property
    def canceling(self) -> CancelService:
        from herald.pipeline.canceling import CancelService

        return CancelService(self.adapters.messages)

    @functools.cached_property
    def broadcasting(self) -> BroadcastService:
        from herald.pipeline.broadcasting import BroadcastService

        return BroadcastService(
            self.adapters.documents, self.adapters.messages, self.sending, self.canceling
        )

    @functools.cached_property
    def suppressions(self) -> SuppressionList:
        from herald.resources.suppressions import SuppressionList

        return SuppressionList(self.adapters.documents)

    @functools.cached_property
    def webhook_endpoints(self) -> EndpointService:
        from herald.resources.webhook_endpoints import EndpointService

        return EndpointService(
            self.adapters.documents, self.adapters.settings.max_webhook_endpoints
        )

    @functools.cached_property
    def webhook_replays(self) -> CustomerWebhooks:
        """Replays a customer webhook delivery now, with the deployment's allowance for
        private destinations only: the api reads no workspace settings."""
        from herald.pipeline.customer_webhooks.observer import CustomerWebhooks

        settings = self.adapters.settings
        return CustomerWebhooks(
            self.adapters.documents,
            self.adapters.webhook_sender,
            allow_private=settings.webhook_allow_private,
            max_endpoints=settings.max_webhook_endpoints,
        )

    @functools.cached_property
    def automations(self) -> AutomationInvoker:
        from herald.pipeline.automating import AutomationInvoker

        return AutomationInvoker(
            self.adapters.messages,
            self.adapters.documents,
            allow_private=self.adapters.settings.webhook_allow_private,
        )

    @functools.cached_property
    def automation_runs(self) -> AutomationRuns:
        from herald.resources.automations import AutomationRuns

        return AutomationRuns(self.adapters.messages, self.adapters.documents)

    @functools.cached_property
    def journeys(self) -> JourneyService:
        from herald.pipeline.journeys import JourneyService
        from herald.resources.journeys import JourneyRuns

        runs = JourneyRuns(self.adapters.messages, self.adapters.documents)
        return JourneyService(self.automations, runs)

    @functools.cached_property
    def console(self) -> ConsoleSessions | None:
        """The console's sessions, signed with the link secret; the cookie is Secure except
        on the local stack, which is served over plain HTTP."""
        settings = self.adapters.settings
        if not settings.link_secret:
            return None
        from herald.console.sessions import ConsoleSessions
        from herald.deployment import is_local_stack

        return ConsoleSessions.from_setting(
            settings.link_secret,
            int(settings.console_session_hours * 3600),
            secure=not is_local_stack(os.environ),
        )

    @functools.cached_property
    def inbox(self) -> InboxService:
        from herald.resources.inbox import InboxService

        return InboxService(self.adapters.documents, self.adapters.messages, self.feedback)

    @functools.cached_property
    def realtime(self) -> RealtimeService:
        """The inbox's real-time service (its own Cloud Run service, not a function)."""
        import time

        from herald.clock import now_ms
        from herald.realtime.app import RealtimeService
        from herald.realtime.connections import Connections

        settings = self.adapters.settings
        connections = Connections(
            settings.realtime_max_connections,
            settings.realtime_max_connections_per_user,
            time.monotonic,
        )
        return RealtimeService(
            self.user_tokens, self.adapters.inbox_watch, connections, now_ms, time.monotonic
        )

    @functools.cached_property
    def user_tokens(self) -> UserTokens | None:
        """The inbox's user tokens, signed with the user token secret; None without it."""
        secret = self.adapters.settings.user_token_secret
        if not secret:
            return None
        from herald.engagement.user_tokens import UserTokens

        return UserTokens.from_setting(secret, self.adapters.settings.user_token_max_days)

    @property
    def traces(self) -> TraceStore | None:
        return self.adapters.traces

    @functools.cached_property
    def event_figures(self) -> EventWebFigures | None:
        """The event web's last hour: counted from the spans where they are read back (the
        span files locally, memory in tests), else from Cloud Monitoring in a deployment;
        None on a local stack that keeps no spans."""
        from herald.console.event_stats import SpanFigures

        if self.traces is not None:
            return SpanFigures(self.traces)
        if self.cloud_project:
            from herald.console.cloud_monitoring import MonitoringFigures, adc_token

            return MonitoringFigures(self.cloud_project, adc_token())
        return None

    @functools.cached_property
    def dead_letters(self) -> DeadLetters:
        """Listing and redriving dead letters: ``herald replay``'s and the console's."""
        from herald.publish.dead_letters import DeadLetters

        return DeadLetters(self.adapters.dead_letters)

    @functools.cached_property
    def cloud_project(self) -> str | None:
        from herald.deployment import is_local_stack

        return None if is_local_stack(os.environ) else self.adapters.settings.project

    def workspace_for_key(self, key: str) -> str | None:
        return self.adapters.keys.workspace_for(hash_api_key(key))

    @property
    def keys(self) -> KeyRepository:
        return self.adapters.keys

    @functools.cached_property
    def feedback(self) -> FeedbackService:
        from herald.pipeline.feedback import FeedbackService

        return FeedbackService(self.adapters.messages, self.suppressions)

    # --- what each function serves ------------------------------------------------------

    @functools.cached_property
    def api(self) -> Api:
        from herald.api.http import Api
        from herald.api.idempotency import IdempotentPosts
        from herald.api.quotas import WorkspaceQuotas
        from herald.api.routes import build_router

        return Api(
            build_router(),
            self.adapters.keys,
            self,
            IdempotentPosts(self.adapters.idempotency),
            # The settings cache's reads: no Firestore access on most requests, never a write.
            WorkspaceQuotas(
                self.quotas.in_effect, instances=self.adapters.settings.quota_instances
            ),
        )

    @functools.cached_property
    def relay(self) -> RelayService:
        from herald.pipeline.customer_webhooks.presence import EndpointPresence
        from herald.pipeline.relaying import RelayService

        presence = EndpointPresence(
            self.adapters.documents, cache_s=self.adapters.settings.webhook_endpoints_cache_s
        )
        return RelayService(
            self.adapters.messages, self.adapters.publisher, attributes=presence.attributes
        )

    @functools.cached_property
    def sweep(self) -> SweepService:
        from herald.pipeline.sweeping import SweepService

        settings = self.adapters.settings
        return SweepService(
            self.adapters.sweeps,
            self.adapters.messages,
            self.relay,
            self.adapters.timers,
            unpublished_after_ms=int(settings.sweep_unpublished_after_s * 1000),
            stuck_after_ms=int(settings.sweep_stuck_after_s * 1000),
            batch=settings.sweep_batch,
        )

    @functools.cached_property
    def render(self) -> RenderService:
        from herald.pipeline.rendering import RenderService

        return RenderService(
            self.adapters.messages,
            self.adapters.timers,
            self.adapters.documents,
            links=self.adapters.links,
            workspaces=self.adapters.workspaces,
        )

    @functools.cached_property
    def deliver(self) -> DeliverService:
        from herald.clock import now_ms
        from herald.pipeline.delivering import DeliverService, DeliveryPolicy
        from herald.pipeline.ratelimit import RateLimiter
        from herald.providers.inbox import InboxProvider
        from herald.resources.test_outbox import RecordedOutbox
        from herald.resources.tokens import TokenService

        settings = self.adapters.settings

        return DeliverService(
            self.adapters.messages,
            self.adapters.attempts,
            # The inbox is Herald's own provider: always there, over the workspace's documents.
            [*self.adapters.providers, InboxProvider(self.adapters.documents, now_ms)],
            DeliveryPolicy.from_settings(settings),
            workspaces=self.adapters.workspaces,
            timers=self.adapters.timers,
            limiter=RateLimiter(settings.rate_limits),
            suppressions=self.suppressions,
            tokens=TokenService(self.adapters.documents),
            recorder=RecordedOutbox(self.adapters.documents),
        )

    @functools.cached_property
    def webhooks(self) -> CustomerWebhooks:
        from herald.pipeline.customer_webhooks.observer import CustomerWebhooks

        settings = self.adapters.settings
        return CustomerWebhooks(
            self.adapters.documents,
            self.adapters.webhook_sender,
            messages=self.adapters.messages,
            timers=self.adapters.timers,
            workspaces=self.adapters.workspaces,
            allow_private=settings.webhook_allow_private,
            max_endpoints=settings.max_webhook_endpoints,
        )

    @functools.cached_property
    def automate(self) -> AutomationRunner:
        from herald.pipeline.automating import AutomationRunner
        from herald.pipeline.automation_fetch import HttpDataFetcher

        settings = self.adapters.settings
        return AutomationRunner(
            self.adapters.messages,
            self.adapters.timers,
            self.adapters.documents,
            # fetch-data steps: SSRF-checked as webhooks are, with their timeout.
            HttpDataFetcher(settings.webhook_timeout_s, settings.webhook_allow_private),
            allow_private=settings.webhook_allow_private,
        )

    @functools.cached_property
    def digest(self) -> DigestService:
        from herald.pipeline.digesting import DigestService

        return DigestService(
            self.adapters.messages,
            self.adapters.timers,
            self.adapters.documents,
            self.adapters.workspaces,
        )

    @functools.cached_property
    def notification_metrics(self) -> NotificationMetrics:
        from herald.resources.notification_metrics import NotificationMetrics

        return NotificationMetrics(self.adapters.template_metrics)

    @functools.cached_property
    def digest_schedules(self) -> DigestSchedules:
        from herald.resources.digests import DigestSchedules

        return DigestSchedules(self.adapters.messages, self.adapters.documents)


def build(adapters: Adapters) -> Services:
    """The services over ``adapters``; nothing is made until a service is first used."""
    return Services(adapters)
