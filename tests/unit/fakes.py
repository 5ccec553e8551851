"""In-memory doubles behind Herald's interfaces, and a bus that runs the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from herald.bootstrap import MemoryAdapters, build
from herald.config import CallbackSettings, Settings
from herald.domain.message import ChannelOutcome
from herald.engagement.links import LinkMaker
from herald.errors import ProviderError
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.pipeline.customer_webhooks.sender import PostOutcome
from herald.providers.base import Dispatch, Receipt


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


def settings_with(**changes: Any) -> Settings:
    """The defaults of every setting, with ``changes``."""
    return Settings.from_env({}, **changes)


@dataclass
class Pipeline:
    """The services as the composition root builds them, over in-memory adapters, with an
    explicit, inspectable bus."""

    settings: Settings = field(default_factory=settings_with)
    email: FakeProvider = field(default_factory=lambda: FakeProvider("fake-smtp", "email"))
    webhook: FakeProvider = field(
        default_factory=lambda: FakeProvider("fake-webhook", "webhook", ChannelOutcome.DELIVERED)
    )
    extra: list[FakeProvider] = field(default_factory=list)  # more providers, after these two
    customer_endpoints: RecordingSender = field(default_factory=RecordingSender)
    links: LinkMaker | None = None  # email links (unsubscribe, tracking); none by default
    callbacks: CallbackSettings = field(default_factory=lambda: CallbackSettings.from_env({}))
    relayed: int = 0

    def __post_init__(self) -> None:
        self.adapters = MemoryAdapters(
            self.settings,
            webhook_sender=self.customer_endpoints,
            links=self.links,
            callbacks=self.callbacks,
        )
        self.messages = self.adapters.messages
        self.attempts = self.adapters.attempts
        self.summaries = self.adapters.summaries
        self.workspaces = self.adapters.workspaces
        self.timers = self.adapters.timers
        self.documents = self.adapters.documents
        self.keys = self.adapters.keys
        self.restart()

    def restart(self) -> None:
        """Fresh services over the same stores, as after an instance restarts; the providers
        are the two, then ``extra``, as they are now."""
        self.adapters.providers[:] = [self.email, self.webhook, *self.extra]
        self.services = build(self.adapters)
        self.api = self.services.api
        self.sending = self.services.sending
        self.reader = self.services.reader
        self.canceling = self.services.canceling
        self.suppressions = self.services.suppressions
        self.feedback = self.services.feedback
        self.customer_webhooks = self.services.webhooks
        self.render = self.services.render
        # A list send's chunks wait a second between writes of its record: noted, not slept.
        self.fanout_waits: list[float] = []
        self.render.fanouts.sleep = self.fanout_waits.append
        self.consumers: dict[str, Callable[[EventEnvelope], None]] = {
            "render": self.render.handle,
            "deliver": self.services.deliver.handle,
            "webhooks": self.services.webhooks.handle,
            "automate": self.services.automate.handle,
            "digest": self.services.digest.handle,
        }

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
