"""What happens after the send, as reported back: receipts, engagement, complaints.

Provider callbacks (SendGrid's Event Webhook, Twilio's status callbacks), the
open pixel and click links, and unsubscribes each become a ``Feedback`` that one
recorder turns into a forward-only transition of the message it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

FeedbackKind = Literal["delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"]


@dataclass(frozen=True)
class Feedback:
    workspace: str
    message_id: str
    kind: FeedbackKind
    at_ms: int
    source: str  # who told us: "sendgrid", "twilio", "tracking", "unsubscribe", ...
    source_id: str  # their id for this report: a report seen twice is applied once
    channel: str | None = None
    provider: str | None = None
    detail: str | None = None  # a bounce's reason, the link clicked, ...
    # Whether the address itself gets nothing more from the workspace. None: the kind's
    # default (a bounce or a complaint: yes; an unsubscribe: no, that is a topic's
    # preference, unless a provider reports a global unsubscribe or an SMS STOP).
    suppress: bool | None = None

    @property
    def suppresses(self) -> bool:
        if self.suppress is not None:
            return self.suppress
        return self.kind in ("bounced", "complained")


class FeedbackRecorder(Protocol):
    def record(self, feedback: Feedback) -> bool:
        """Applies the feedback to its message; False when it changes nothing (late, twice,
        or a message that does not exist)."""
        ...
