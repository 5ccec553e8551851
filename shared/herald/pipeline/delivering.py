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

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

from herald.clock import now_ms
from herald.config import AmbiguousPolicy, Settings
from herald.domain.backoff import Backoff
from herald.domain.catalog import PROVIDER_ADDRESSES
from herald.domain.deadline import Deadline, Timeouts
from herald.domain.message import ChannelOutcome, DeliveryResult, MessageState
from herald.domain.send import LEFT_OUT
from herald.domain.status import MessageStatus, Reason
from herald.domain.testmode import is_test_mode
from herald.errors import PermanentProviderError, RetryableProviderError
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import MessageDelivered, MessageSent, MessageUndeliverable
from herald.events.registry import spec_for
from herald.faults import crash_point
from herald.observability import logs, metrics, tracing
from herald.pipeline.ignoring import note_ignored
from herald.pipeline.ratelimit import RateLimiter
from herald.providers.base import Dispatch, Provider
from herald.providers.recording import DeliveryRecorder, stand_in
from herald.redaction import error_text
from herald.resources.suppressions import SuppressionList
from herald.resources.tokens import TokenService
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
_ADDRESS_KEYS = ("email", "phone_number", "firebaseToken", "slack", "ms_teams", "webhook")


def _for_provider(message: MessageState, channel: str, provider: str) -> dict[str, Any]:
    """The channel's rendered content, with what ``providers.<provider>.override.body``
    replaces for that provider alone."""
    settings = (message.provider_overrides or {}).get(provider) or {}
    body = (settings.get("override") or {}).get("body") or {}
    return {**message.rendered[channel], **body}


def _addresses(recipient: Mapping[str, Any]) -> tuple[str, ...]:
    """Every text inside the recipient's addresses (a webhook's URL and headers too)."""

    def texts(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, Mapping):
            return [text for item in value.values() for text in texts(item)]
        return []

    return tuple(text for key in _ADDRESS_KEYS for text in texts(recipient.get(key)))


def _reaches(provider: str, message: MessageState | None) -> bool:
    """Whether the provider can reach the recipient: a Slack address is no Teams one."""
    address = PROVIDER_ADDRESSES.get(provider)
    return message is None or address is None or bool(message.recipient.get(address))


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
    deadline: Deadline | None = None  # the timeouts that would end the attempt


class MessageCanceled(Exception):
    """The message was canceled while it was being delivered: stop before the provider."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliver retries, gives up, and reads an unknown outcome: the deployment's
    settings, in one value."""

    ambiguous: AmbiguousPolicy
    max_tries: int
    lease_ms: int
    backoff: Backoff
    timeouts: Timeouts
    # A channel's own ambiguity policy, where it differs from ``ambiguous``.
    channel_ambiguous: Mapping[str, AmbiguousPolicy] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        def ms(seconds: float | None) -> int | None:
            return int(seconds * 1000) if seconds else None

        return cls(
            ambiguous=settings.ambiguous_policy,
            channel_ambiguous=dict(settings.channel_policies),
            max_tries=settings.max_delivery_tries,
            lease_ms=int(settings.attempt_lease_s * 1000),
            # Jittered: the retries of one provider's outage spread out instead of
            # coming back all at once.
            backoff=Backoff(settings.retry_base_s, settings.retry_max_s, jitter=0.1),
            timeouts=Timeouts(
                message_ms=int(settings.message_timeout_s * 1000),
                channel_ms=ms(settings.channel_timeout_s),
                provider_ms=ms(settings.provider_timeout_s),
            ),
        )

    def on_unknown(self, channel: str) -> AmbiguousPolicy:
        """What an unknown outcome on ``channel`` comes to (a channel may differ)."""
        return self.channel_ambiguous.get(channel, self.ambiguous)


@dataclass(frozen=True)
class _Run:
    """One delivery of an event: who holds the leases, and the workspace's settings."""

    owner: str
    settings: WorkspaceSettings


# FCM's errorCode for a registration token the app no longer holds.
FCM_UNREGISTERED = "UNREGISTERED"


class DeliverService:
    consumer = "deliver"

    def __init__(
        self,
        messages: MessageRepository,
        attempts: AttemptRepository,
        providers: Sequence[Provider],
        policy: DeliveryPolicy,
        *,
        timers: TimerRepository,
        workspaces: WorkspaceRepository | None = None,
        limiter: RateLimiter | None = None,
        suppressions: SuppressionList | None = None,
        tokens: TokenService | None = None,
        recorder: DeliveryRecorder | None = None,
    ) -> None:
        self.messages = messages
        self.attempts = attempts
        self.providers = {provider.name: provider for provider in providers}
        self.policy = policy
        self.timers = timers
        self.workspaces = workspaces
        self.limiter = limiter or RateLimiter({})
        self.suppressions = suppressions
        self.tokens = tokens  # a user's device tokens, marked when FCM no longer knows one
        # Test mode's sink: every provider of a test namespace's message is its stand-in.
        self.recorder = recorder

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
            lambda current: settle(current, results, self.policy.on_unknown),
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

    def _due_ms(self, message: MessageState, retry: RetryLater) -> int:
        """When to try again: after the backoff or the provider's Retry-After, but never past
        a timeout, so the retry that finds it run out ends the attempt on time."""
        wait_ms = 0 if retry.throttled else self.policy.backoff.delay_ms(retry.tries)
        if retry.retry_after_s is not None:
            wait_ms = max(wait_ms, int(retry.retry_after_s * 1000))
        deadline = retry.deadline or Deadline.of_message(message, self.policy.timeouts)
        return min(now_ms() + wait_ms, deadline.ends_ms)

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
        providers``, else the workspace's choice, else all of them; never one whose ``if``
        was false; in test mode, each one's stand-in."""
        override = ((message and message.channel_overrides) or {}).get(channel) or {}
        names = (
            override.get("providers")
            or chosen.get(channel)
            or [name for name, provider in self.providers.items() if provider.channel == channel]
        )
        left_out = {
            name
            for name, settings in ((message and message.provider_overrides) or {}).items()
            if settings.get(LEFT_OUT)
        }
        chain = [
            self.providers[name]
            for name in names
            if name in self.providers
            and self.providers[name].channel == channel
            and name not in left_out
            and _reaches(name, message)
        ]
        if message is not None and self._records(message):
            assert self.recorder is not None
            return [stand_in(provider, self.recorder) for provider in chain]
        return chain

    def _records(self, message: MessageState) -> bool:
        """Whether the message's providers are replaced by the recording sink."""
        if not is_test_mode(message.workspace):
            return False
        if self.recorder is None:
            # Never a real provider for a test key's message, whatever the wiring.
            raise RuntimeError("a test namespace's message needs the recording sink")
        return True

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
                    error=f"no provider configured for {channel} can reach the recipient",
                )
            )
        return results

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
            self.policy.lease_ms,
        )
        if attempt.first_try_ms is not None:
            # The channel's clock starts at its first provider's first try, whatever came since.
            started[:] = [min([*started, attempt.first_try_ms])]
        if attempt.state == AttemptState.DONE and attempt.result is not None:
            return attempt.result
        if (suppressed := self._suppressed(message, attempt, provider)) is not None:
            return self._finish(message, attempt, suppressed)
        resend = self.policy.on_unknown(channel) == AmbiguousPolicy.RESEND
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
        at = now_ms()
        # The provider's clock starts at its first real call: this one, if none came before.
        deadline = Deadline.of_attempt(
            message,
            self.policy.timeouts,
            channel,
            provider.name,
            started[0] if started else None,
            attempt.first_try_ms or at,
        )
        expired = deadline.expired(at)
        if attempt.tries > self.policy.max_tries or expired:
            why = expired or f"{attempt.tries - 1} tries"
            logs.warning(
                "delivery given up",
                message_id=message.id,
                workspace=message.workspace,
                provider=provider.name,
                reason=why,
                error=attempt.last_error,
            )
            reason, error = Reason.PROVIDER_ERROR, f"gave up after {why}: {attempt.last_error}"
            if deadline.has_expired(at):
                last = f" (last error: {attempt.last_error})" if attempt.last_error else ""
                reason, error = Reason.EXPIRED, f"expired before it was sent{last}"
            return self._finish(
                message,
                attempt,
                self._result(
                    channel, provider.name, ChannelOutcome.FAILED, reason=reason, error=error
                ),
            )
        crash_point("deliver.after_attempt_recorded")
        early_ms = (attempt.retry_at_ms or 0) - now_ms()
        if early_ms > 0:
            # Here before its backoff is over (a re-drive, a copy of the event): not a try.
            self._not_a_try(message, attempt)
            raise RetryLater(attempt.tries, early_ms / 1000, "backoff", True, deadline)
        # A stand-in calls no provider: it takes nothing of the provider's rate.
        if (
            not self._records(message)
            and (wait_s := self.limiter.acquire(provider.name)) is not None
        ):
            # Over the provider's rate: not a try, just later.
            self._not_a_try(message, attempt)
            raise RetryLater(attempt.tries, wait_s, f"{provider.name} rate limit", True, deadline)
        if self._canceled(message):
            self._not_a_try(message, attempt)
            raise MessageCanceled(message.id)
        try:
            return self._call(message, attempt, provider, run)
        except RetryLater as later:
            later.deadline = deadline
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
        a cancel landing during the call itself is too late (the residual race documented
        with the cancel route)."""
        current = self.messages.get_message(message.workspace, message.id)
        return current is not None and current.status == MessageStatus.CANCELED

    def _not_a_try(self, message: MessageState, attempt: Attempt) -> None:
        attempt.tries -= 1
        attempt.release()
        self._save(message, attempt)

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
            crash_point("deliver.after_handoff")

        dispatch = Dispatch(
            message_id=message.id,
            attempt_key=f"{message.id}-{attempt.id}",
            recipient=message.recipient,
            rendered=_for_provider(message, attempt.channel, provider.name),
            allow_private=run.settings.allow_private_destinations,
            workspace=message.workspace,
            enqueued_ms=message.enqueued_ms,
            tags=tuple(message.tags),
            tenant_id=message.tenant_id,
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
            if exc.code == FCM_UNREGISTERED:
                self._forget_token(message, error)
        except Exception as exc:
            # Retryable, or unexpected before the handoff: nothing left, try again later.
            # After the handoff, no answer: the policy decides (resend means try again).
            ambiguous = handed_off and not isinstance(exc, RetryableProviderError)
            error = error_text(exc, personal)
            measured("UNKNOWN" if ambiguous else "RETRY", error)
            if not ambiguous or self.policy.on_unknown(channel) == AmbiguousPolicy.RESEND:
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

    def _forget_token(self, message: MessageState, error: str) -> None:
        """FCM says the app was uninstalled: the user's stored token is not used again (a
        token given in the send or the profile is the caller's to drop)."""
        user_id, token = message.recipient.get("user_id"), message.recipient.get("firebaseToken")
        if self.tokens is not None and isinstance(user_id, str) and isinstance(token, str):
            self.tokens.mark_failed(message.workspace, user_id, token, error)

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
