"""In-memory doubles behind Herald's interfaces, and a bus that runs the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from herald.config import AmbiguousPolicy, CallbackSettings
from herald.domain.message import ChannelOutcome
from herald.engagement.links import LinkMaker
from herald.errors import ProviderError
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.providers.base import Dispatch, Receipt
from herald.services.canceling import CancelService
from herald.services.customer_webhooks.observer import CustomerWebhooks
from herald.services.customer_webhooks.sender import PostOutcome
from herald.services.delivering import DeliverService
from herald.services.feedback import FeedbackService
from herald.services.reading import MessageReader
from herald.services.rendering import RenderService
from herald.services.sending import SendService
from herald.services.suppression import SuppressionList
from herald.store.documents import InMemoryDocuments
from herald.store.memory import (
    InMemoryAttempts,
    InMemoryMessages,
    InMemorySummaries,
    InMemoryTimers,
    InMemoryWorkspaces,
)


@dataclass
class FakeProvider:
    name: str
    channel: str
    outcome: ChannelOutcome = ChannelOutcome.SENT
    fail_with: ProviderError | None = None
    fail_before_handoff: bool = False
    sent: list[Dispatch] = field(default_factory=list)
    calls: int = 0

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        self.calls += 1
        if self.fail_with is not None and self.fail_before_handoff:
            raise self.fail_with
        handoff()
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(dispatch)
        return Receipt(self.outcome, f"ref-{len(self.sent)}")


@dataclass(frozen=True)
class Post:
    url: str
    body: bytes
    headers: dict[str, str]
    allow_private: bool


class RecordingSender:
    """Customer webhook posts, recorded; each answered with the next of ``answers``, then 200."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.answers: list[PostOutcome] = []

    def post(
        self, url: str, body: bytes, headers: dict[str, str], allow_private: bool
    ) -> PostOutcome:
        self.posts.append(Post(url, body, headers, allow_private))
        return self.answers.pop(0) if self.answers else PostOutcome(200)


@dataclass
class Pipeline:
    """The services wired to in-memory stores, with an explicit, inspectable bus."""

    policy: AmbiguousPolicy = AmbiguousPolicy.ASSUME_SENT
    channel_policies: dict[str, AmbiguousPolicy] = field(default_factory=dict)
    messages: InMemoryMessages = field(default_factory=InMemoryMessages)
    attempts: InMemoryAttempts = field(default_factory=InMemoryAttempts)
    summaries: InMemorySummaries = field(default_factory=InMemorySummaries)
    email: FakeProvider = field(default_factory=lambda: FakeProvider("fake-smtp", "email"))
    webhook: FakeProvider = field(
        default_factory=lambda: FakeProvider("fake-webhook", "webhook", ChannelOutcome.DELIVERED)
    )
    workspaces: InMemoryWorkspaces = field(default_factory=InMemoryWorkspaces)
    timers: InMemoryTimers = field(default_factory=InMemoryTimers)
    documents: InMemoryDocuments = field(default_factory=InMemoryDocuments)
    customer_endpoints: RecordingSender = field(default_factory=RecordingSender)
    relayed: int = 0
    extra: list[FakeProvider] = field(default_factory=list)  # more providers, after these two
    links: LinkMaker | None = None  # email links (unsubscribe, tracking); none by default
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)

    def __post_init__(self) -> None:
        self.messages.summaries = self.summaries  # the list's view, kept in each commit
        self.sending = SendService(self.messages, self.documents)
        self.reader = MessageReader(self.messages, self.summaries)
        self.canceling = CancelService(self.messages)
        self.suppressions = SuppressionList(self.documents)
        self.feedback = FeedbackService(self.messages, self.suppressions)
        render = RenderService(
            self.messages, self.timers, self.documents, self.links, self.workspaces
        )
        # A list send's chunks wait a second between writes of its record: noted, not slept.
        self.fanout_waits: list[float] = []
        render.fanouts.sleep = self.fanout_waits.append
        self.render = render
        self.consumers: dict[str, Callable[[EventEnvelope], None]] = {
            "render": render.handle,
            "deliver": DeliverService(
                self.messages,
                self.attempts,
                [self.email, self.webhook, *self.extra],
                policy=self.policy,
                channel_policies=self.channel_policies,
                workspaces=self.workspaces,
                timers=self.timers,
                suppressions=self.suppressions,
            ).handle,
        }
        self.customer_webhooks = CustomerWebhooks(
            self.documents,
            self.customer_endpoints,
            messages=self.messages,
            timers=self.timers,
            workspaces=self.workspaces,
        )
        self.consumers["webhooks"] = self.customer_webhooks.handle

    def drain(self) -> None:
        """Relays every new outbox record to its consumers until none is left."""
        while self.relayed < len(self.messages.outbox):
            event = self.messages.outbox[self.relayed]
            self.relayed += 1
            for consumer in spec_for(event.type).consumers:
                self.consumers[consumer](event)

    def fire_timers(self) -> int:
        """Fires every scheduled retry at once, as if their time had come, then drains."""
        entries = list(self.timers.entries.values())
        self.timers.entries.clear()
        for attempt in self.attempts.attempts.values():
            attempt.retry_at_ms = None  # the backoffs are over
        for entry in entries:
            for consumer in spec_for(entry.envelope.type).consumers:
                self.consumers[consumer](entry.envelope)
        self.drain()
        return len(entries)
