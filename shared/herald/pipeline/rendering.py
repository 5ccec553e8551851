"""The render stage: route a message to its channels and render each one."""

from __future__ import annotations

from typing import Any

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.domain.rendering import RenderFailed, merged_data, render_channel
from herald.domain.routing import plan_route
from herald.domain.send import CHANNELS, LEFT_OUT, NAMED_ONLY_CHANNELS
from herald.domain.status import MessageStatus, Reason
from herald.engagement.email import EmailLinks
from herald.engagement.links import LinkMaker
from herald.engagement.utm import add_utm
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import (
    DigestItemCollected,
    MessageDelayed,
    MessageRendered,
    MessageRouted,
    MessageUndeliverable,
    MessageUnroutable,
)
from herald.events.registry import spec_for
from herald.observability import metrics
from herald.pipeline.fanout import FanOutService
from herald.pipeline.ignoring import note_ignored
from herald.pipeline.resolving import ContextResolver, RenderContext
from herald.store.base import (
    MessageRepository,
    ScheduledEvent,
    TimerRepository,
    Transition,
    WorkspaceRepository,
)
from herald.store.documents import DocumentStore
from herald.templating import LOCALE_KEY, TRANSLATIONS_KEY, Budget, TemplateError, evaluate, truthy


def _ended(message: MessageState, status: MessageStatus, reason: str, error: str) -> Transition:
    """The message stops at render: unroutable, or undeliverable before any provider."""
    ended = message.model_copy(update={"status": status, "reason": reason, "error": error})
    if status == MessageStatus.UNROUTABLE:
        event = NewEvent("message.unroutable", MessageUnroutable(reason=reason))
    else:
        event = NewEvent("message.undeliverable", MessageUndeliverable(reason=reason, error=error))
    return Transition(ended, [event])


def _collected(
    message: MessageState, recipient: dict[str, Any], topic_id: str, schedule_id: str
) -> Transition:
    """The message goes into its recipient's digest of the topic instead of being sent."""
    collected = message.model_copy(
        update={"status": MessageStatus.DIGESTED, "awaiting_digest": True}
    )
    item = DigestItemCollected(
        topic_id=topic_id, schedule_id=schedule_id, user_id=str(recipient["user_id"])
    )
    return Transition(collected, [NewEvent("digest.item_collected", item)])


# What render routes: a message enqueued, or delayed and now due.
ROUTABLE = (MessageStatus.ENQUEUED, MessageStatus.DELAYED)


def is_early(message: MessageState) -> bool:
    """Courier's delay has not yet passed for this message."""
    return message.not_before_ms is not None and now_ms() < message.not_before_ms


def hold_until_due(message: MessageState) -> Transition | None:
    """An early message made DELAYED, with the event the timer brings back when due."""
    if message.status != MessageStatus.ENQUEUED or not is_early(message):
        return None  # past this stage, or already waiting: the timer brings it back
    assert message.not_before_ms is not None
    delayed = message.model_copy(update={"status": MessageStatus.DELAYED})
    return Transition(
        delayed, [NewEvent("message.delayed", MessageDelayed(until_ms=message.not_before_ms))]
    )


def route_and_render(
    message: MessageState,
    context: RenderContext | None = None,
    email_links: EmailLinks | None = None,
) -> Transition | None:
    context = context or RenderContext(message.recipient)
    if message.status not in ROUTABLE:
        return None  # already past this stage: a duplicate or late event
    if message.expires_ms is not None and now_ms() >= message.expires_ms:
        return _ended(
            message, MessageStatus.UNDELIVERABLE, Reason.EXPIRED, "expired before it was sent"
        )
    if (
        message.expires_ms is not None
        and message.not_before_ms is not None
        and message.not_before_ms >= message.expires_ms
    ):
        # Its delay ends after its expiry: it can never be sent, so it ends now.
        return _ended(
            message,
            MessageStatus.UNDELIVERABLE,
            Reason.EXPIRED,
            "expires before its delay is over; it would never be sent",
        )
    if is_early(message):
        return hold_until_due(message)
    if context.missing is not None:
        missing = Reason.UNPUBLISHED if context.missing.startswith("template") else Reason.FAILED
        return _ended(
            message, MessageStatus.UNDELIVERABLE, missing, f"{context.missing} does not exist"
        )
    if context.invalid is not None:
        return _ended(message, MessageStatus.UNDELIVERABLE, Reason.FAILED, context.invalid)
    if not context.preference.allowed:
        reason: str = context.preference.reason or Reason.UNSUBSCRIBED
        return _ended(
            message,
            MessageStatus.UNDELIVERABLE,
            reason,
            f"the recipient is {reason.lower().replace('_', ' ')} for topic {context.topic_id}",
        )
    if context.digest is not None and context.topic_id:
        return _collected(message, context.recipient, context.topic_id, context.digest.schedule_id)
    try:
        left_out = _left_out(message.channel_overrides, "channels", message, context)
        providers_left_out = _left_out(message.provider_overrides, "providers", message, context)
    except RenderFailed as exc:
        return _ended(message, MessageStatus.UNDELIVERABLE, Reason.FAILED, str(exc))
    allowed: list[str] | None = context.preference.channels
    if left_out:
        every = allowed if allowed is not None else [*CHANNELS, *NAMED_ONLY_CHANNELS]
        allowed = [channel for channel in every if channel not in left_out]
    plan = plan_route(context.recipient, context.routing(message), allowed)
    if not plan.routable:
        because = f" (the if of {', '.join(sorted(left_out))} was false)" if left_out else ""
        return _ended(
            message,
            MessageStatus.UNROUTABLE,
            Reason.NO_CHANNELS,
            "the recipient has no address for any channel of the routing" + because,
        )
    data = {**merged_data(message.data, context.recipient), "profile": context.profile}
    if context.tenant is not None:
        data["tenant"] = context.tenant
    if context.translations:
        data[TRANSLATIONS_KEY] = context.translations
    if context.locale:
        data[LOCALE_KEY] = context.locale
    # One budget per channel; the email's also pays for rewriting its links.
    budgets = {channel: Budget() for channel in plan.channels}
    try:
        rendered = {
            channel: render_channel(
                channel,
                context.content_for(message, channel),
                data,
                brand=context.brand,
                budget=budgets[channel],
                locale=context.locale,
            )
            for channel in plan.channels
        }
        for channel, content in rendered.items():
            # Courier's channel override: literal content, over what was rendered.
            override = ((message.channel_overrides or {}).get(channel) or {}).get("override")
            content.update(override or {})
        if "email" in rendered:
            rendered["email"] = _with_links(
                message, context, rendered["email"], email_links, budgets["email"]
            )
    except RenderFailed as exc:
        return _ended(message, MessageStatus.UNDELIVERABLE, Reason.FAILED, str(exc))
    routed = message.model_copy(
        update={
            "status": MessageStatus.ROUTED,
            "routed_ms": now_ms(),
            "recipient": context.recipient,
            "channels": plan.channels,
            "routing_method": plan.method,
            "route": plan.tree,
            "rendered": rendered,
            "provider_overrides": _marked(message.provider_overrides, providers_left_out),
        }
    )
    return Transition(
        routed,
        [
            NewEvent("message.routed", MessageRouted(method=plan.method, channels=plan.channels)),
            NewEvent("message.rendered", MessageRendered(channels=plan.channels)),
        ],
    )


def _left_out(
    settings: dict[str, Any] | None, kind: str, message: MessageState, context: RenderContext
) -> set[str]:
    """The channels (or providers) whose ``if`` is false, over the send's data and the
    recipient's profile, in the templates' sandbox with its limits; RenderFailed when one
    cannot be worked out."""
    scope = {"data": message.data, "profile": context.profile or {}}
    left_out = set()
    for name, given in (settings or {}).items():
        if (condition := given.get("condition")) is None:
            continue
        try:
            holds = truthy(evaluate(condition, scope))
        except TemplateError as exc:
            raise RenderFailed(f"{kind}.{name}.if: {exc}") from exc
        if not holds:
            left_out.add(name)
    return left_out


def _marked(settings: dict[str, Any] | None, left_out: set[str]) -> dict[str, Any] | None:
    """The providers' settings, those whose ``if`` was false marked for delivery to skip."""
    if not left_out or settings is None:
        return settings
    return {
        name: {**given, LEFT_OUT: True} if name in left_out else given
        for name, given in settings.items()
    }


def _with_links(
    message: MessageState,
    context: RenderContext,
    email: dict[str, Any],
    email_links: EmailLinks | None,
    budget: Budget,
) -> dict[str, Any]:
    """The email with the campaign's parameters and Herald's links in its HTML."""
    try:
        if message.utm and email.get("html"):
            # Before tracking, so that a tracked link leads to the campaign's URL.
            email["html"] = add_utm(email["html"], message.utm, budget)
        if email_links is not None:
            email = email_links.apply(
                message, context.recipient, context.topic_id, context.topic, email, budget
            )
    except TemplateError as exc:
        raise RenderFailed(f"content: {exc}") from exc
    return email


class RenderService:
    consumer = "render"

    def __init__(
        self,
        messages: MessageRepository,
        timers: TimerRepository,
        documents: DocumentStore | None = None,
        links: LinkMaker | None = None,
        workspaces: WorkspaceRepository | None = None,
    ) -> None:
        self.messages = messages
        self.timers = timers
        self.links = links  # None: no unsubscribe or tracking links (no secret configured)
        self.workspaces = workspaces
        self.resolver = ContextResolver(documents)
        self.fanouts = FanOutService(messages, documents)

    def handle(self, event: EventEnvelope) -> None:
        # The message is read once, by the transaction that routes it; its context only
        # when it is still to be routed.
        read: list[MessageState] = []
        email_links = self._email_links(event.workspace)

        def decide(current: MessageState) -> Transition | None:
            read.append(current)
            if current.fanout is not None or current.status not in ROUTABLE:
                return None  # a list send's record (below), or past this stage
            return route_and_render(current, self.resolver.resolve(current), email_links)

        applied = self.messages.transition(
            event.workspace, event.message_id, self.consumer, event.id, decide
        )
        if read and (message := read[-1]).fanout is not None:
            # A delayed list send waits whole, and is expanded when due: one cancel
            # stops it, and whoever is on the list then receives it.
            if is_early(message):
                self._hold(event)
            elif not self.fanouts.expand(event, message):
                note_ignored(self.messages, self.consumer, event)
            return
        if applied is None:
            if event.type == "message.delayed" and self._wait(event):
                return
            note_ignored(self.messages, self.consumer, event)
        elif applied[-1].type in ("message.unroutable", "message.undeliverable"):
            end = applied[-1]
            metrics.record_outcome(spec_for(end.type).history_type, end.payload.get("reason"), None)

    def _email_links(self, workspace: str) -> EmailLinks | None:
        if self.links is None:
            return None
        tracking = self.workspaces is not None and self.workspaces.settings(workspace).tracking
        return EmailLinks(self.links, tracking)

    def _hold(self, event: EventEnvelope) -> None:
        applied = self.messages.transition(
            event.workspace, event.message_id, self.consumer, event.id, hold_until_due
        )
        if applied is None and not (event.type == "message.delayed" and self._wait(event)):
            note_ignored(self.messages, self.consumer, event)

    def _wait(self, event: EventEnvelope) -> bool:
        """A delayed message's event, early: have the durable timer bring it back on time."""
        message = self.messages.get_message(event.workspace, event.message_id)
        if message is None or message.status != MessageStatus.DELAYED:
            return False
        until = int(event.payload["until_ms"])
        self.timers.schedule(ScheduledEvent.again(event, until, "delay", prefix="delay-"))
        return True
