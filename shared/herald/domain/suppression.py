"""Addresses a workspace no longer sends to: hard bounces, complaints, opt-outs.

An entry is keyed by the normalised address (an email in lower case, a phone
number in E.164), so ``Ada@Example.com`` and ``ada@example.com`` are one entry.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel

from herald.domain.status import Reason

_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")

# The recipient's address each suppressible channel sends to.
ADDRESS_FIELDS = {"email": "email", "sms": "phone_number"}


class SuppressionReason(StrEnum):
    BOUNCED = "BOUNCED"  # a hard bounce: the address does not exist
    COMPLAINED = "COMPLAINED"  # the recipient reported a message as spam
    UNSUBSCRIBED = "UNSUBSCRIBED"  # a global unsubscribe, or an SMS STOP

    @property
    def message_reason(self) -> Reason:
        """A suppressed send's reason, in Courier's names (which have no COMPLAINED)."""
        return Reason.BOUNCED if self is SuppressionReason.BOUNCED else Reason.UNSUBSCRIBED


class SuppressionEntry(BaseModel):
    address: str
    channel: str  # email or sms
    reason: SuppressionReason
    created_ms: int
    source: str  # who reported it: sendgrid, twilio, ...
    message_id: str | None = None  # the message the report was about, if any
    detail: str | None = None


def normalise(address: str) -> tuple[str, str] | None:
    """``(channel, normalised address)`` of an email or an E.164 phone number, else None."""
    value = address.strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return ("email", value.lower()) if local and "." in domain else None
    phone = _PHONE_PUNCTUATION.sub("", value)
    return ("sms", phone) if _E164.match(phone) else None
