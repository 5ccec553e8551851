"""When a delivery must end: Courier's message, channel and provider timeouts.

A message has until its deadline (72 hours from when it may go out, by default);
a channel, from its first provider's first try; a provider, from its own first
try. Each may be set per send (``message.timeout``, one figure or one per
channel or provider name; a provider's also as ``providers.<name>.timeouts``),
else the deployment's default applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from herald.domain.message import MessageState

Level = Literal["message", "channel", "provider"]

# Courier's default: a message that cannot be delivered in 72 hours is undeliverable.
DEFAULT_MESSAGE_TIMEOUT_MS = 72 * 3600 * 1000


@dataclass(frozen=True)
class Timeouts:
    """The deployment's timeouts, in milliseconds; None: that level has none."""

    message_ms: int = DEFAULT_MESSAGE_TIMEOUT_MS
    channel_ms: int | None = None
    provider_ms: int | None = None

    def of(self, message: MessageState, level: Level, name: str = "") -> int | None:
        """The message's own timeout for ``level`` (``name``: the channel or provider),
        else the deployment's."""
        overrides = message.provider_overrides or {}
        if level == "provider" and (own := (overrides.get(name) or {}).get("timeouts")):
            return int(own)
        given = (message.timeout or {}).get(level)
        if isinstance(given, dict):
            given = given.get(name)
        if given is not None:
            return int(given)
        if level == "message":
            return self.message_ms
        return self.channel_ms if level == "channel" else self.provider_ms


@dataclass(frozen=True)
class Deadline:
    """When each timeout of one delivery attempt runs out, and the message's expiry
    (epoch ms; None: no limit)."""

    message_ms: int
    channel_ms: int | None = None
    provider_ms: int | None = None
    expires_ms: int | None = None  # Courier's expiry: ends the message as EXPIRED

    @classmethod
    def of_message(cls, message: MessageState, timeouts: Timeouts) -> Deadline:
        """The whole message's deadline: its time starts when it may go out (a delayed
        message's when its delay is over), not when it was accepted."""
        start = max(message.enqueued_ms, message.not_before_ms or 0)
        return cls(
            start + (timeouts.of(message, "message") or timeouts.message_ms),
            expires_ms=message.expires_ms,
        )

    @classmethod
    def of_attempt(
        cls,
        message: MessageState,
        timeouts: Timeouts,
        channel: str,
        provider: str,
        channel_started_ms: int | None,
        provider_started_ms: int,
    ) -> Deadline:
        """An attempt's deadlines: the channel's counts from its first provider's first
        try (None: not tried yet), the provider's from its own first try (now, if this
        is it)."""
        channel_timeout = timeouts.of(message, "channel", channel)
        provider_timeout = timeouts.of(message, "provider", provider)
        return cls(
            cls.of_message(message, timeouts).message_ms,
            channel_started_ms + channel_timeout
            if channel_started_ms is not None and channel_timeout
            else None,
            provider_started_ms + provider_timeout if provider_timeout else None,
            message.expires_ms,
        )

    @property
    def ends_ms(self) -> int:
        """When the first of them runs out."""
        limits = (self.message_ms, self.channel_ms, self.provider_ms, self.expires_ms)
        return min(t for t in limits if t is not None)

    def has_expired(self, at_ms: int) -> bool:
        """Whether the message's own expiry has passed at ``at_ms``."""
        return self.expires_ms is not None and at_ms >= self.expires_ms

    def expired(self, at_ms: int) -> str | None:
        """Which limit has run out at ``at_ms``, if any: the expiry first, then the
        message's timeout."""
        if self.has_expired(at_ms):
            return "the message expired"
        if at_ms >= self.message_ms:
            return "the message timed out"
        if self.channel_ms is not None and at_ms >= self.channel_ms:
            return "the channel timed out"
        if self.provider_ms is not None and at_ms >= self.provider_ms:
            return "the provider timed out"
        return None
