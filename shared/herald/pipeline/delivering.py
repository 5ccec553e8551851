"""The deliver stage: one provider call per attempt, recorded before and after.

Each channel's attempt is a document that moves PREPARED -> DISPATCHING -> DONE.
DISPATCHING is written just before the provider may have the message, so after
a crash a redelivered event knows whether a resend could be a duplicate:

- PREPARED: nothing left, send (again).
- DISPATCHING: the outcome is unknown; ``AmbiguousPolicy`` decides.
- DONE: the result is known; only the message's end state remains to record.

A delivery leases the attempt while it works and counts a try before it calls
anything, so a concurrent duplicate of the event backs off (``AttemptBusy``, a
retry) and no failure, expected or not, retries forever.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace

from herald.clock import now_ms
from herald.config import AmbiguousPolicy
from herald.domain.message import ChannelOutcome, DeliveryResult, MessageState
from herald.domain.status import MessageStatus, Reason
from herald.errors import PermanentProviderError, RetryableProviderError
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import MessageDelivered, MessageSent, MessageUndeliverable
from herald.events.registry import spec_for
from herald.faults import crash_point
from herald.observability import logs, metrics, tracing
from herald.pipeline.ignoring import note_ignored
from herald.pipeline.ratelimit import RateLimiter
from herald.providers.base import Dispatch, Provider
from herald.redaction import error_text
from herald.resources.suppressions import SuppressionList
from herald.store.base import (
    Attempt,
    AttemptRepository,
    AttemptState,
    MessageRepository,
    ScheduledEvent,
    TimerRepository,
    Transition,
    WorkspaceRepository,
    WorkspaceSettings,
)

# The recipient's fields that address it: what a provider's error must never carry on.
_ADDRESS_KEYS = ("email", "phone_number", "firebaseToken", "slack", "webhook")


def _addresses(recipient: Mapping[str, Any]) -> tuple[str, ...]:
    """Every text inside the recipient's addresses (a webhook's URL and headers too)."""

    def texts(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, Mapping):
            return [text for item in value.values() for text in texts(item)]
        return []

    return tuple(text for key in _ADDRESS_KEYS for text in texts(recipient.get(key)))


def settle(
    message: MessageState,
    results: Sequence[DeliveryResult],
    policy: Callable[[str], AmbiguousPolicy],
) -> Transition | None:
    """The message's end state from its channels' results."""
    if message.status != MessageStatus.ROUTED:
        return None
    by_outcome = {r.outcome: r for r in results}
    if winner := by_outcome.get(ChannelOutcome.DELIVERED):
        return Transition(
            message.model_copy(
                update={
                    "status": MessageStatus.DELIVERED,
                    "sent_ms": winner.at_ms,
                    "delivered_ms": winner.at_ms,
                    "results": list(results),
                }
            ),
            [
                NewEvent(
                    "message.delivered",
                    MessageDelivered(
                        channel=winner.channel, provider=winner.provider, reference=winner.reference
                    ),
                )
            ],
        )
    sent = by_outcome.get(ChannelOutcome.SENT)
    unknown = by_outcome.get(ChannelOutcome.UNKNOWN)
    if sent is None and unknown is not None and policy(unknown.channel) != AmbiguousPolicy.FAIL:
        sent = unknown
    if sent is not None:
        outcome_unknown = sent.outcome == ChannelOutcome.UNKNOWN
        return Transition(
            message.model_copy(
                update={
                    "status": MessageStatus.SENT,
                    "sent_ms": sent.at_ms,
                    "reason": Reason.OUTCOME_UNKNOWN if outcome_unknown else None,
                    "error": sent.error if outcome_unknown else None,
                    "results": list(results),
                }
            ),
            [
                NewEvent(
                    "message.sent",
                    MessageSent(
                        channel=sent.channel,
                        provider=sent.provider,
                        reference=sent.reference,
                        outcome_unknown=outcome_unknown,
                    ),
                )
            ],
        )
    failure = unknown or (results[-1] if results else None)
    reason = (failure.reason if failure else None) or Reason.NO_PROVIDERS
    error = failure.error if failure else "no channel to deliver on"
    return Transition(
        message.model_copy(
            update={
                "status": MessageStatus.UNDELIVERABLE,
                "reason": reason,
                "error": error,
                "results": list(results),
            }
        ),
        [
            NewEvent(
                "message.undeliverable",
                MessageUndeliverable(
                    reason=reason, error=error, channel=failure.channel if failure else None
                ),
            )
        ],
    )


@dataclass
class RetryLater(Exception):
    """A provider call to try again later (retryable, or unexpected before the handoff)."""

    tries: int
    retry_after_s: float | None
    error: str
    throttled: bool = False  # not a failure (a rate limit, a backoff not over): no backoff
    not_after_ms: int | None = None  # the timeout that would end the attempt runs out here


class MessageCanceled(Exception):
    """The message was canceled while it was being delivered: stop before the provider."""


@dataclass(frozen=True)
class _Run:
    """One delivery of an event: who holds the leases, and the workspace's settings."""

    owner: str
    settings: WorkspaceSettings


class DeliverService:
    consumer = "deliver"

    def __init__(
        self,
        messages: MessageRepository,
        attempts: AttemptRepository,
        providers: Sequence[Provider],
        policy: AmbiguousPolicy = AmbiguousPolicy.ASSUME_SENT,
        channel_policies: Mapping[str, AmbiguousPolicy] | None = None,
        max_tries: int = 20,
        lease_s: float = 120.0,
        workspaces: WorkspaceRepository | None = None,
        *,
        timers: TimerRepository,
        retry_base_s: float = 30.0,
        retry_max_s: float = 3600.0,
        message_timeout_s: float = 72 * 3600.0,
        channel_timeout_s: float | None = None,
        provider_timeout_s: float | None = None,
        limiter: RateLimiter | None = None,
        suppressions: SuppressionList | None = None,
    ) -> None:
        self.messages = messages
        self.attempts = attempts
        self.providers = {provider.name: provider for provider in providers}
        self.workspaces = workspaces
        self.default_policy = policy
        self.channel_policies = dict(channel_policies or {})
        self.max_tries = max_tries
        self.lease_ms = int(lease_s * 1000)
        self.timers = timers
        self.retry_base_ms = int(retry_base_s * 1000)
        self.retry_max_ms = int(retry_max_s * 1000)
        self.message_timeout_ms = int(message_timeout_s * 1000)
        self.channel_timeout_ms = int(channel_timeout_s * 1000) if channel_timeout_s else None
        self.provider_timeout_ms = int(provider_timeout_s * 1000) if provider_timeout_s else None
        self.limiter = limiter or RateLimiter({})
        self.suppressions = suppressions

    def handle(self, event: EventEnvelope) -> None:
        message = self.messages.get_message(event.workspace, event.message_id)
        if message is None or message.status != MessageStatus.ROUTED:
            # A duplicate or late event: the state only moves forward. Noted, then acked.
            note_ignored(self.messages, self.consumer, event, message)
            return
        run = _Run(
            owner=uuid.uuid4().hex,  # this delivery, so a concurrent duplicate is told apart
            settings=(
                self.workspaces.settings(event.workspace)
                if self.workspaces
                else WorkspaceSettings()
            ),
        )
        results: list[DeliveryResult] = []
        retries: list[RetryLater] = []
        tree = message.route or {"method": message.routing_method, "channels": message.channels}
        try:
            self._walk(tree, message, run, results, retries)
        except MessageCanceled:
            note_ignored(self.messages, self.consumer, event)
            return
        if retries:
            # Back when the first channel is due; one not yet due then waits again, untried.
            self._retry_later(event, message, min(retries, key=lambda r: self._due_ms(message, r)))
            return
        applied = self.messages.transition(
            event.workspace,
            event.message_id,
            self.consumer,
            event.id,
            lambda current: settle(current, results, self.policy),
        )
        if applied:
            end = applied[-1]
            metrics.record_outcome(
                spec_for(end.type).history_type,
                end.payload.get("reason")
                or ("OUTCOME_UNKNOWN" if end.payload.get("outcome_unknown") else None),
                end.payload.get("channel"),
            )
        crash_point("deliver.after_outcome_recorded")

    def _walk(
        self,
        node: dict[str, Any],
        message: MessageState,
        run: _Run,
        results: list[DeliveryResult],
        retries: list[RetryLater],
    ) -> bool | None:
        """Delivers a routing tree: True if a channel of it took the message, False if all
        failed for good, None while one waits for a retry.

        ``single`` goes on to its next channel only once one has failed for good;
        ``all`` goes on with the others meanwhile. A retry walks the tree again:
        channels already done answer from their attempt records.
        """
        outcomes: list[bool | None] = []
        for child in node["channels"]:
            if isinstance(child, dict):
                outcome = self._walk(child, message, run, results, retries)
            else:
                try:
                    channel_results = self._deliver_channel(message, child, run)
                except RetryLater as later:
                    retries.append(later)
                    outcome = None
                else:
                    results.extend(channel_results)
                    outcome = channel_results[-1].outcome != ChannelOutcome.FAILED
            outcomes.append(outcome)
            if node["method"] == "single" and outcome is not False:
                return outcome
        if any(outcomes):
            return True
        return None if None in outcomes else False

    def policy(self, channel: str) -> AmbiguousPolicy:
        """What an unknown outcome on ``channel`` comes to (a channel may differ from the default)."""
        return self.channel_policies.get(channel, self.default_policy)

    def _timeout_ms(
        self, message: MessageState, level: str, default: int | None, name: str = ""
    ) -> int | None:
        """The message's own ``timeout`` (Courier's field) or the deployment's default.

        A channel's or provider's may be given by name, and a provider's also as
        ``providers.<name>.timeouts``.
        """
        overrides = message.provider_overrides or {}
        if level == "provider" and (own := (overrides.get(name) or {}).get("timeouts")):
            return int(own)
        given = (message.timeout or {}).get(level)
        if isinstance(given, dict):
            given = given.get(name)
        return int(given) if given is not None else default

    def deadline_ms(self, message: MessageState) -> int:
        timeout = self._timeout_ms(message, "message", self.message_timeout_ms)
        # A delayed message's time starts when it may go out, not when it was accepted.
        start = max(message.enqueued_ms, message.not_before_ms or 0)
        return start + (timeout or self.message_timeout_ms)

    def backoff_ms(self, tries: int) -> int:
        """30 s, 1, 2, 4, 8 min ... up to an hour (the defaults), with a little jitter."""
        delay = min(self.retry_max_ms, self.retry_base_ms * 2 ** max(tries - 1, 0))
        return int(delay * random.uniform(0.9, 1.1))

    def _due_ms(self, message: MessageState, retry: RetryLater) -> int:
        """When to try again: after the backoff or the provider's Retry-After, but never past
        a timeout, so the retry that finds it run out ends the attempt on time."""
        wait_ms = 0 if retry.throttled else self.backoff_ms(retry.tries)
        if retry.retry_after_s is not None:
            wait_ms = max(wait_ms, int(retry.retry_after_s * 1000))
        limit = retry.not_after_ms if retry.not_after_ms is not None else self.deadline_ms(message)
        return min(now_ms() + wait_ms, limit)

    def _retry_later(self, event: EventEnvelope, message: MessageState, retry: RetryLater) -> None:
        """Acks now and comes back through the durable timer, so one workspace's failing
        provider never slows the shared push subscription (push backs off for everyone)."""
        due = self._due_ms(message, retry)
        wait_ms = due - now_ms()
        self.timers.schedule(ScheduledEvent.again(event, due, retry.error))
        logs.warning(
            "delivery retry scheduled",
            message_id=message.id,
            workspace=message.workspace,
            event_id=event.id,
            due_ms=due,
            wait_ms=wait_ms,
            error=retry.error,
        )

    def _result(
        self, channel: str, provider: str, outcome: ChannelOutcome, **details: str | None
    ) -> DeliveryResult:
        return DeliveryResult(
            channel=channel, provider=provider, outcome=outcome, at_ms=now_ms(), **details
        )

    def chain(
        self,
        channel: str,
        chosen: Mapping[str, Sequence[str]],
        message: MessageState | None = None,
    ) -> list[Provider]:
        """The channel's providers in failover order: the message's ``channels.<channel>.
        providers``, else the workspace's choice, else all of them."""
        override = ((message and message.channel_overrides) or {}).get(channel) or {}
        names = (
            override.get("providers")
            or chosen.get(channel)
            or [name for name, provider in self.providers.items() if provider.channel == channel]
        )
        return [
            self.providers[name]
            for name in names
            if name in self.providers and self.providers[name].channel == channel
        ]

    def _deliver_channel(
        self,
        message: MessageState,
        channel: str,
        run: _Run,
    ) -> list[DeliveryResult]:
        """Tries the channel's providers in order until one takes the message."""
        results: list[DeliveryResult] = []
        started: list[int] = []  # when the channel's first provider was first tried
        for provider in self.chain(channel, run.settings.providers, message):
            results.append(self._deliver(message, channel, provider, run, started))
            if results[-1].outcome != ChannelOutcome.FAILED:
                return results
        if not results:
            results.append(
                self._result(
                    channel,
                    "",
                    ChannelOutcome.FAILED,
                    reason=Reason.NO_PROVIDERS,
                    error=f"no provider is configured for {channel}",
                )
            )
        return results

    def _expired(
        self, message: MessageState, attempt: Attempt, started: list[int], provider: str
    ) -> str | None:
        """Which of Courier's timeouts has run out for this attempt, if any."""
        at = now_ms()
        if at >= self.deadline_ms(message):
            return "the message timed out"
        channel_timeout = self._timeout_ms(
            message, "channel", self.channel_timeout_ms, attempt.channel
        )
        if channel_timeout and started and at >= started[0] + channel_timeout:
            return "the channel timed out"
        provider_timeout = self._timeout_ms(message, "provider", self.provider_timeout_ms, provider)
        if (
            provider_timeout
            and attempt.first_try_ms
            and at >= attempt.first_try_ms + provider_timeout
        ):
            return "the provider timed out"
        return None

    def _deliver(
        self,
        message: MessageState,
        channel: str,
        provider: Provider,
        run: _Run,
        started: list[int],
    ) -> DeliveryResult:
        attempt = self.attempts.claim(
            message.workspace,
            message.id,
            f"{channel}-{provider.name}",
            channel,
            run.owner,
            self.lease_ms,
        )
        if attempt.first_try_ms is not None:
            # The channel's clock starts at its first provider's first try, whatever came since.
            started[:] = [min([*started, attempt.first_try_ms])]
        if attempt.state == AttemptState.DONE and attempt.result is not None:
            return attempt.result
        if (suppressed := self._suppressed(message, attempt, provider)) is not None:
            return self._finish(message, attempt, suppressed)
        resend = self.policy(channel) == AmbiguousPolicy.RESEND
        if attempt.state == AttemptState.DISPATCHING and not resend:
            return self._finish(
                message,
                attempt,
                self._result(
                    channel,
                    provider.name,
                    ChannelOutcome.UNKNOWN,
                    reason=Reason.OUTCOME_UNKNOWN,
                    error="interrupted after the provider was called; not resent to avoid a duplicate",
                ),
            )
        expired = self._expired(message, attempt, started, provider.name)
        if attempt.tries > self.max_tries or expired:
            why = expired or f"{attempt.tries - 1} tries"
            logs.warning(
                "delivery given up",
                message_id=message.id,
                workspace=message.workspace,
                provider=provider.name,
                reason=why,
                error=attempt.last_error,
            )
            return self._finish(
                message,
                attempt,
                self._result(
                    channel,
                    provider.name,
                    ChannelOutcome.FAILED,
                    reason=Reason.PROVIDER_ERROR,
                    error=f"gave up after {why}: {attempt.last_error}",
                ),
            )
        crash_point("deliver.after_attempt_recorded")
        not_after = self._not_after_ms(message, attempt, started, provider.name)
        early_ms = (attempt.retry_at_ms or 0) - now_ms()
        if early_ms > 0:
            # Here before its backoff is over (a re-drive, a copy of the event): not a try.
            self._not_a_try(message, attempt)
            raise RetryLater(attempt.tries, early_ms / 1000, "backoff", True, not_after)
        if (wait_s := self.limiter.acquire(provider.name)) is not None:
            # Over the provider's rate: not a try, just later.
            self._not_a_try(message, attempt)
            raise RetryLater(attempt.tries, wait_s, f"{provider.name} rate limit", True, not_after)
        if self._canceled(message):
            self._not_a_try(message, attempt)
            raise MessageCanceled(message.id)
        try:
            return self._call(message, attempt, provider, run)
        except RetryLater as later:
            later.not_after_ms = not_after
            attempt.retry_at_ms = self._due_ms(message, later)
            self._save(message, attempt)
            raise

    def _suppressed(
        self, message: MessageState, attempt: Attempt, provider: Provider
    ) -> DeliveryResult | None:
        """A FAILED result when the address is on the workspace's suppression list.

        Checked until the provider is first called (never after: the attempt's own
        outcome stands), so a suppressed address never reaches a provider.
        """
        if self.suppressions is None or attempt.first_try_ms is not None:
            return None
        if attempt.state != AttemptState.PREPARED:
            return None
        entry = self.suppressions.for_message(message, attempt.channel)
        if entry is None:
            return None
        return self._result(
            attempt.channel,
            provider.name,
            ChannelOutcome.FAILED,
            reason=entry.reason.message_reason,
            error=f"the address is suppressed ({entry.reason.value.lower()}, {entry.source})",
        )

    def _canceled(self, message: MessageState) -> bool:
        """Canceled since this delivery read it? One read, just before the provider call;
        a cancel landing during the call itself is too late (the README's residual race)."""
        current = self.messages.get_message(message.workspace, message.id)
        return current is not None and current.status == MessageStatus.CANCELED

    def _not_a_try(self, message: MessageState, attempt: Attempt) -> None:
        attempt.tries -= 1
        attempt.release()
        self._save(message, attempt)

    def _not_after_ms(
        self, message: MessageState, attempt: Attempt, started: list[int], provider: str
    ) -> int:
        """When the first of the timeouts that would end this attempt runs out."""
        limits = [self.deadline_ms(message)]
        channel = self._timeout_ms(message, "channel", self.channel_timeout_ms, attempt.channel)
        if started and channel:
            limits.append(started[0] + channel)
        provider_timeout = self._timeout_ms(message, "provider", self.provider_timeout_ms, provider)
        if provider_timeout:
            limits.append((attempt.first_try_ms or now_ms()) + provider_timeout)
        return min(limits)

    def _call(
        self, message: MessageState, attempt: Attempt, provider: Provider, run: _Run
    ) -> DeliveryResult:
        handed_off = False
        attempt.first_try_ms = attempt.first_try_ms or now_ms()  # a real call: timeouts count

        def handoff() -> None:
            nonlocal handed_off
            attempt.state = AttemptState.DISPATCHING
            self._save(message, attempt)
            handed_off = True

        dispatch = Dispatch(
            message_id=message.id,
            attempt_key=f"{message.id}-{attempt.id}",
            recipient=message.recipient,
            rendered=message.rendered[attempt.channel],
            allow_private=run.settings.allow_private_destinations,
            workspace=message.workspace,
        )
        channel, name = attempt.channel, provider.name
        personal = _addresses(message.recipient)
        span = tracing.tracer().start_span(
            f"{name} send",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "herald.provider": name,
                "herald.channel": channel,
                "herald.attempt": attempt.id,
                "herald.try": attempt.tries,
            },
        )
        started = time.perf_counter()

        def measured(outcome: str, error: str | None = None) -> None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            metrics.record_provider_call(name, channel, outcome, elapsed_ms)
            span.set_attribute("herald.outcome", outcome)
            if error is not None:
                span.set_status(trace.StatusCode.ERROR, error)
            span.end()

        try:
            with trace.use_span(span, end_on_exit=False, record_exception=False):
                receipt = provider.send(dispatch, handoff)
        except PermanentProviderError as exc:
            # A provider's error may quote the recipient: only its redaction is kept.
            error = error_text(exc, personal)
            measured("FAILED", error)
            result = self._result(
                channel, name, ChannelOutcome.FAILED, reason=Reason.PROVIDER_ERROR, error=error
            )
        except Exception as exc:
            # Retryable, or unexpected before the handoff: nothing left, try again later.
            # After the handoff, no answer: the policy decides (resend means try again).
            ambiguous = handed_off and not isinstance(exc, RetryableProviderError)
            error = error_text(exc, personal)
            measured("UNKNOWN" if ambiguous else "RETRY", error)
            if not ambiguous or self.policy(channel) == AmbiguousPolicy.RESEND:
                attempt.state = AttemptState.PREPARED
                attempt.last_error = error
                attempt.release()
                self._save(message, attempt)
                raise RetryLater(
                    attempt.tries, getattr(exc, "retry_after_s", None), attempt.last_error
                ) from exc
            result = self._result(
                channel,
                name,
                ChannelOutcome.UNKNOWN,
                reason=Reason.OUTCOME_UNKNOWN,
                error=error,
            )
        else:
            measured(receipt.outcome.value)
            result = self._result(channel, name, receipt.outcome, reference=receipt.reference)
        crash_point("deliver.after_provider_accepted")
        logs.info(
            "provider called",
            message_id=message.id,
            workspace=message.workspace,
            channel=channel,
            provider=name,
            outcome=result.outcome.value,
            recipient=logs.mask(message.recipient_label()),  # never the address, never the body
        )
        return self._finish(message, attempt, result)

    def _finish(
        self, message: MessageState, attempt: Attempt, result: DeliveryResult
    ) -> DeliveryResult:
        attempt.state = AttemptState.DONE
        attempt.result = result
        attempt.release()
        self._save(message, attempt)
        return result

    def _save(self, message: MessageState, attempt: Attempt) -> None:
        attempt.updated_ms = now_ms()
        self.attempts.save(message.workspace, message.id, attempt)
